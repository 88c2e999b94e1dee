import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authConfig } from './auth.config.js';

const STRONG_SECRET = 'k8Yt2vQ9rLm4Xw7Zp1Nc6Bd3Hf5Js0Ga';

describe('authConfig', () => {
  const saved = { ...process.env };
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'auth-config-'));
    for (const key of Object.keys(process.env)) {
      if (/^(JWT_|BCRYPT_|ADMIN_|SESSION_|NODE_ENV$|DATA_DIR$)/.test(key)) delete process.env[key];
    }
    process.env.DATA_DIR = dataDir;
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should use the documented defaults', () => {
    process.env.JWT_SECRET = STRONG_SECRET;

    const config = authConfig();

    expect(config.jwt).toMatchObject({
      algorithm: 'ES256',
      accessTtl: 900,
      issuer: undefined,
      audience: undefined,
      keyRotation: undefined,
      jwksMaxAge: 300,
    });
    expect(config.refresh).toEqual({ idleTtl: 30 * 86400, maxTtl: 90 * 86400, reuseWindow: 10 });
    expect(config.bcryptCost).toBe(12);
    expect(config.admin).toBeUndefined();
    expect(config.jwt.masterSecret.toString('utf8')).toBe(STRONG_SECRET);
  });

  it('should read durations with units', () => {
    Object.assign(process.env, {
      JWT_SECRET: STRONG_SECRET,
      JWT_ACCESS_TTL: '5m',
      JWT_REFRESH_TTL: '7d',
      JWT_REFRESH_REUSE_WINDOW: '0',
    });

    const config = authConfig();

    expect(config.jwt.accessTtl).toBe(300);
    expect(config.refresh).toEqual({ idleTtl: 604_800, maxTtl: 90 * 86400, reuseWindow: 0 });
  });

  it('should prefer SESSION_IDLE_TTL over JWT_REFRESH_TTL and read SESSION_MAX_TTL', () => {
    Object.assign(process.env, {
      JWT_SECRET: STRONG_SECRET,
      JWT_REFRESH_TTL: '7d',
      SESSION_IDLE_TTL: '2h',
      SESSION_MAX_TTL: '30d',
    });

    expect(authConfig().refresh).toMatchObject({ idleTtl: 7200, maxTtl: 30 * 86400 });
  });

  it('should refuse to start in production without a secret, naming JWT_SECRET', () => {
    process.env.NODE_ENV = 'production';

    expect(() => authConfig()).toThrow(/JWT_SECRET is required when NODE_ENV=production/);
  });

  it('should refuse a short or placeholder secret in production', () => {
    process.env.NODE_ENV = 'production';
    process.env.JWT_SECRET = 'too-short';
    expect(() => authConfig()).toThrow(/JWT_SECRET must be at least 32 characters/);

    process.env.JWT_SECRET = 'change-me-to-a-long-random-string-of-48-chars';
    expect(() => authConfig()).toThrow(/JWT_SECRET is a placeholder/);

    // What an older README's compose example said to paste: copied as it was, it must not start.
    process.env.JWT_SECRET = 'paste-the-output-of-openssl-rand-base64-48';
    expect(() => authConfig()).toThrow(/JWT_SECRET is a placeholder/);
  });

  it('should refuse a placeholder admin password in production only', () => {
    process.env.JWT_SECRET = 'k'.repeat(48);
    process.env.ADMIN_EMAIL = 'root@example.com';
    process.env.ADMIN_PASSWORD = 'change-me-admin';
    expect(() => authConfig()).not.toThrow();

    process.env.NODE_ENV = 'production';
    expect(() => authConfig()).toThrow(/ADMIN_PASSWORD is a placeholder/);
  });

  it('should generate a development secret once, keep it private in DATA_DIR and reuse it', () => {
    const first = authConfig();
    const file = join(dataDir, 'jwt-secret');

    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').length).toBeGreaterThanOrEqual(48);
    expect(authConfig().jwt.masterSecret.equals(first.jwt.masterSecret)).toBe(true);
  });

  it.each([
    [{ BCRYPT_COST: '3' }, /BCRYPT_COST must not be less than 4/],
    [{ BCRYPT_COST: '16' }, /BCRYPT_COST must not be greater than 15/],
    [{ JWT_ACCESS_TTL: 'soon' }, /JWT_ACCESS_TTL must be a duration/],
    [{ JWT_ALGORITHM: 'none' }, /JWT_ALGORITHM must be one of ES256, RS256, HS256/],
    [{ JWT_ALGORITHM: 'EdDSA' }, /JWT_ALGORITHM must be one of/],
    [{ JWT_KEY_ROTATION: 'often' }, /JWT_KEY_ROTATION must be a duration/],
    [{ JWT_KEY_ROTATION: '1h' }, /JWT_KEY_ROTATION must be at least 1d/],
    [{ JWKS_MAX_AGE: '0' }, /JWKS_MAX_AGE must not be less than 1/],
    [{ ADMIN_EMAIL: 'admin@example.com' }, /ADMIN_EMAIL and ADMIN_PASSWORD must be set together/],
    [{ ADMIN_EMAIL: 'not-an-email', ADMIN_PASSWORD: 'long enough' }, /ADMIN_EMAIL must be an email address/],
    [{ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'x'.repeat(73) }, /ADMIN_PASSWORD must be at most 72 bytes/],
  ])('should refuse %j with a message naming it', (env, message) => {
    Object.assign(process.env, { JWT_SECRET: STRONG_SECRET }, env);

    expect(() => authConfig()).toThrow(message);
  });

  it('should normalise the admin email', () => {
    Object.assign(process.env, { JWT_SECRET: STRONG_SECRET, ADMIN_EMAIL: ' Admin@Example.COM ', ADMIN_PASSWORD: 'long enough' });

    expect(authConfig().admin).toEqual({ email: 'admin@example.com', password: 'long enough' });
  });
});
