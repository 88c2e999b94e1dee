import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseMetrics, valueOf } from '../../test/support/metrics.js';
import type { MailConfig } from '../config/mail.config.js';
import type { MailMessage, MailTransport } from './mail-message.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MailService } from './mail.service.js';

const MESSAGE: MailMessage = {
  to: 'ada@example.com',
  subject: 'Hello',
  text: 'secret-token-123',
  html: '<p>secret-token-123</p>',
};

function transport(failures: number): MailTransport & { delivered: Array<MailMessage & { from: string }> } {
  let calls = 0;
  const delivered: Array<MailMessage & { from: string }> = [];
  return {
    name: 'fake',
    delivered,
    deliver(message) {
      calls++;
      if (calls <= failures) return Promise.reject(new Error('connection refused'));
      delivered.push(message);
      return Promise.resolve('id-1');
    },
  };
}

describe(MailService.name, () => {
  const config = { from: 'Auth <auth@example.com>' } as MailConfig;

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('should deliver in the background with the configured sender, and log a line without the body', async () => {
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const fake = transport(0);
    const mail = new MailService(fake, config, new MetricsService());

    mail.send(MESSAGE);
    await mail.settle();

    expect(fake.delivered).toEqual([{ ...MESSAGE, from: 'Auth <auth@example.com>' }]);
    const line = String(log.mock.calls[0]?.[0]);
    expect(line).toContain('"Hello" to a***@example.com delivered');
    expect(line).not.toContain('secret-token-123');
    expect(line).not.toContain('ada@example.com');
  });

  it('should retry a failed send, never throw to the caller, and count the retry and the delivery', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const fake = transport(1);
    const metrics = new MetricsService();
    const mail = new MailService(fake, config, metrics);

    expect(() => mail.send(MESSAGE)).not.toThrow();
    await mail.settle();

    expect(fake.delivered).toHaveLength(1);
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0][0])).not.toContain('secret-token-123');
    const samples = parseMetrics(await metrics.render());
    expect(['sent', 'retried', 'failed'].map((result) => valueOf(samples, 'auth_mails_total', { result }))).toEqual([1, 1, 0]);
  });
});
