import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mailConfig } from './mail.config.js';

describe('mailConfig', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of ['SMTP_URL', 'MAIL_FROM', 'APP_URL', 'NODE_ENV', 'PORT']) delete process.env[key];
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should default to the outbox and a local APP_URL in development', () => {
    process.env.PORT = '4000';

    expect(mailConfig()).toEqual({ smtpUrl: undefined, from: 'Auth service <no-reply@localhost>', appUrl: 'http://localhost:4000' });
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
  ])('should refuse %j with a message naming it', (env, message) => {
    Object.assign(process.env, env);

    expect(() => mailConfig()).toThrow(message);
  });
});
