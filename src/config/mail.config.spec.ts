import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mailConfig } from './mail.config.js';

describe('mailConfig', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of ['SMTP_URL', 'MAIL_FROM', 'MAIL_TRANSPORT', 'APP_URL', 'NODE_ENV', 'PORT']) delete process.env[key];
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should default to the outbox and a local APP_URL in development', () => {
    process.env.PORT = '4000';

    expect(mailConfig()).toEqual({
      transport: 'outbox',
      smtpUrl: undefined,
      from: 'Auth service <no-reply@localhost>',
      appUrl: 'http://localhost:4000',
    });
  });

  it('should send through SMTP_URL when it is set', () => {
    process.env.SMTP_URL = 'smtps://user:pass@smtp.example.com:465';

    expect(mailConfig()).toMatchObject({ transport: 'smtp', smtpUrl: 'smtps://user:pass@smtp.example.com:465' });
  });

  it('should keep mail in the outbox when MAIL_TRANSPORT=outbox, even with SMTP_URL set', () => {
    Object.assign(process.env, { MAIL_TRANSPORT: 'outbox', SMTP_URL: 'smtp://smtp.example.com' });

    expect(mailConfig()).toMatchObject({ transport: 'outbox', smtpUrl: undefined });
  });

  it('should accept the outbox in production only when chosen explicitly', () => {
    Object.assign(process.env, { NODE_ENV: 'production', APP_URL: 'https://app.example.com', MAIL_TRANSPORT: 'outbox' });

    expect(mailConfig().transport).toBe('outbox');
  });

  it('should drop a trailing slash from APP_URL', () => {
    process.env.APP_URL = 'https://app.example.com/';

    expect(mailConfig().appUrl).toBe('https://app.example.com');
  });

  it.each([
    [{ APP_URL: 'javascript:alert(1)' }, /APP_URL must be an http\(s\) URL/],
    [{ SMTP_URL: 'http://smtp.example.com' }, /SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/],
    [{ MAIL_FROM: 'a@b.c\r\nBcc: x@y.z' }, /MAIL_FROM must be one line/],
    [{ NODE_ENV: 'production' }, /APP_URL is required when NODE_ENV=production/],
    [
      { NODE_ENV: 'production', APP_URL: 'https://app.example.com' },
      /SMTP_URL is required when NODE_ENV=production \(or set MAIL_TRANSPORT=outbox/,
    ],
    [{ MAIL_TRANSPORT: 'smtp' }, /SMTP_URL is required when MAIL_TRANSPORT=smtp/],
    [{ MAIL_TRANSPORT: 'sendmail' }, /MAIL_TRANSPORT must be smtp or outbox/],
  ])('should refuse %j with a message naming it', (env, message) => {
    Object.assign(process.env, env);

    expect(() => mailConfig()).toThrow(message);
  });
});
