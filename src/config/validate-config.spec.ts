import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { validateConfig } from './validate-config.js';

const STRONG_SECRET = 'k8Yt2vQ9rLm4Xw7Zp1Nc6Bd3Hf5Js0Ga';

describe(validateConfig.name, () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of Object.keys(process.env)) {
      if (
        /^(NODE_ENV|PORT|HOST|DATA_DIR|DATABASE_|JWT_|BCRYPT_|ADMIN_|SESSION_|SMTP_URL|MAIL_|APP_URL|RATE_LIMIT|LOCKOUT_|REDIS_|DOCS_ENABLED|INTROSPECTION_|PUBLIC_URL)/.test(
          key,
        )
      ) {
        delete process.env[key];
      }
    }
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should accept a complete production environment', () => {
    Object.assign(process.env, {
      NODE_ENV: 'production',
      JWT_SECRET: STRONG_SECRET,
      APP_URL: 'https://app.example.com',
      SMTP_URL: 'smtp://smtp.example.com',
    });

    expect(() => validateConfig()).not.toThrow();
  });

  it('should report every problem of every namespace in one error, naming each variable', () => {
    Object.assign(process.env, {
      NODE_ENV: 'production',
      PORT: '70000',
      DATABASE_POOL_SIZE: '0',
      BCRYPT_COST: '3',
      ADMIN_EMAIL: 'admin@example.com',
      MAIL_FROM: 'a@b.c\r\nBcc: x@y.z',
      RATE_LIMIT: 'maybe',
      INTROSPECTION_CLIENTS: 'billing:change-me-change-me-change-me-change-me',
    });

    let error: unknown;
    try {
      validateConfig();
    } catch (thrown) {
      error = thrown;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      expect.stringMatching(/^PORT: /),
      expect.stringMatching(/^DATABASE_POOL_SIZE: /),
      expect.stringMatching(/^BCRYPT_COST: /),
      'JWT_SECRET is required when NODE_ENV=production',
      'ADMIN_EMAIL and ADMIN_PASSWORD must be set together',
      expect.stringMatching(/^MAIL_FROM: /),
      expect.stringMatching(/^APP_URL is required when NODE_ENV=production/),
      expect.stringMatching(/^SMTP_URL is required when NODE_ENV=production/),
      expect.stringMatching(/^RATE_LIMIT: /),
      'INTROSPECTION_CLIENTS: client 1 (billing): the secret is a placeholder; generate one (openssl rand -hex 32)',
    ]);
    expect((error as Error).message).toBe(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  });

  it('should refuse a SHUTDOWN_DELAY that leaves no time of SHUTDOWN_GRACE for the requests to finish', () => {
    Object.assign(process.env, { SHUTDOWN_GRACE: '10s', SHUTDOWN_DELAY: '10s' });

    expect(() => validateConfig()).toThrow(/SHUTDOWN_DELAY: must be shorter than SHUTDOWN_GRACE \(10 s\)/);

    process.env.SHUTDOWN_DELAY = '9';
    expect(() => validateConfig()).not.toThrow();
  });

  it('should let an unexpected error through unchanged', () => {
    // A DATA_DIR below a regular file cannot hold the development secret: not a ConfigError.
    process.env.DATA_DIR = '/dev/null/auth-config';

    expect(() => validateConfig()).toThrow(/ENOTDIR/);
  });
});
