import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AuthConfig } from '../config/auth.config.js';
import { parseMetrics, valueOf } from '../../test/support/metrics.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PasswordService } from './password.service.js';

describe(PasswordService.name, () => {
  const passwords = new PasswordService({ bcryptCost: 5, bcryptThreads: 2 } as AuthConfig, new MetricsService());

  afterAll(async () => {
    await passwords.onApplicationShutdown();
  });

  it('should hash at the configured cost in a worker thread, and check the right password only', async () => {
    const hash = await passwords.hash('correct horse');

    expect(bcrypt.getRounds(hash)).toBe(5);
    await expect(passwords.verify('correct horse', hash)).resolves.toBe(true);
    await expect(passwords.verify('wrong horse', hash)).resolves.toBe(false);
  });

  it('should keep the event loop free while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);

    await Promise.all(
      [passwords.hash('a'), passwords.hash('b'), passwords.hash('c'), passwords.hash('d')].map((p) => p.then(() => undefined)),
    );
    const slow = new PasswordService({ bcryptCost: 10, bcryptThreads: 1 } as AuthConfig, new MetricsService());
    await slow.hash('a long one, about 100 ms');
    await slow.onApplicationShutdown();
    clearInterval(timer);

    expect(ticks).toBeGreaterThan(3);
  });

  it('should report its threads, busy threads and queue to the metrics when scraped', async () => {
    const metrics = new MetricsService();
    const single = new PasswordService({ bcryptCost: 8, bcryptThreads: 1 } as AuthConfig, metrics);
    const gauges = async () => {
      const samples = parseMetrics(await metrics.render());
      return ['threads', 'busy_threads', 'queue_size'].map((name) => valueOf(samples, `auth_password_pool_${name}`));
    };
    try {
      const hashes = Promise.all([single.hash('a'), single.hash('b'), single.hash('c')]);
      // One thread, three tasks handed over at once: at least two wait, and the thread is not idle.
      const [threads, busy, queued] = await gauges();
      expect([threads, busy]).toEqual([1, 1]);
      expect(queued).toBeGreaterThanOrEqual(2);
      await hashes;

      await expect(gauges()).resolves.toEqual([1, 0, 0]);
    } finally {
      await single.onApplicationShutdown();
    }
  });

  it('should spend a full check at the same cost when there is no stored hash', async () => {
    const run = vi.spyOn((passwords as unknown as { pool: { run: (task: { hash: string }) => Promise<unknown> } }).pool, 'run');

    await expect(passwords.verify('anything', undefined)).resolves.toBe(false);

    expect(run).toHaveBeenCalledOnce();
    const [task] = run.mock.calls[0];
    expect(bcrypt.getRounds(task.hash)).toBe(5);
    expect(task.hash).toHaveLength(60);
    run.mockRestore();
  });

  it('should accept a password beside a username it does not hold, and an account with neither email nor username', () => {
    expect(() => passwords.assertAcceptable('pass1425', { username: 'Romel' })).not.toThrow();
    expect(() => passwords.assertAcceptable('pass1425', {})).not.toThrow();
  });

  it('should tell when a hash was made at a lower cost than configured', async () => {
    expect(passwords.needsRehash(bcrypt.hashSync('x', 4))).toBe(true);
    expect(passwords.needsRehash(await passwords.hash('x'))).toBe(false);
  });

  it.each([
    ['password1', 'ada@example.com', /too common/],
    ['ada.lovelace', 'ada.lovelace@example.com', /must not be your email address/],
    ['Ada.Lovelace@Example.com', 'ada.lovelace@example.com', /must not be your email address/],
    ['romel', 'Romel', /must not be or contain your username/],
    ['my name is ROMEL!', 'Romel', /must not be or contain your username/],
    ['ｒｏｍｅｌ 1425 rocks', 'Romel', /must not be or contain your username/],
  ])('should refuse %j for %s', (password, name, message) => {
    const account = name.includes('@') ? { email: name } : { username: name };
    expect(() => passwords.assertAcceptable(password, account)).toThrow();
    try {
      passwords.assertAcceptable(password, account);
    } catch (error) {
      expect(JSON.stringify((error as { getResponse(): unknown }).getResponse())).toMatch(message);
    }
  });
});
