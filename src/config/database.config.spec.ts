import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseConfig } from './database.config.js';

describe('databaseConfig', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('DATABASE_')) delete process.env[key];
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should put DATABASE_PASSWORD into DATABASE_URL, percent-encoded so the driver reads it back exactly', () => {
    const password = 'p@ss:w/rd%41#?é';
    process.env.DATABASE_URL = 'postgres://auth@db:5432/auth?sslmode=require';
    process.env.DATABASE_PASSWORD = password;

    const url = new URL(databaseConfig().url!);

    expect(decodeURIComponent(url.password)).toBe(password);
    expect(url.username).toBe('auth');
    expect(url.host).toBe('db:5432');
    expect(url.pathname).toBe('/auth');
    expect(url.search).toBe('?sslmode=require');
  });

  it('should read the password from DATABASE_PASSWORD_FILE, as a Docker secret gives it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'database-config-'));
    try {
      writeFileSync(join(dir, 'password'), 'from-a-secret\n');
      process.env.DATABASE_URL = 'postgres://auth@db:5432/auth';
      process.env.DATABASE_PASSWORD_FILE = join(dir, 'password');

      expect(databaseConfig().url).toBe('postgres://auth:from-a-secret@db:5432/auth');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should keep DATABASE_URL as it is without DATABASE_PASSWORD', () => {
    process.env.DATABASE_URL = 'postgres://auth:in-url@db:5432/auth';

    expect(databaseConfig().url).toBe('postgres://auth:in-url@db:5432/auth');
  });

  it('should refuse a password given both in the URL and in DATABASE_PASSWORD', () => {
    process.env.DATABASE_URL = 'postgres://auth:in-url@db:5432/auth';
    process.env.DATABASE_PASSWORD = 'another';

    expect(() => databaseConfig()).toThrow(/DATABASE_URL has a password and DATABASE_PASSWORD is set/);
  });

  it('should refuse DATABASE_PASSWORD with a DATABASE_URL that has no host to carry it (a Unix socket)', () => {
    process.env.DATABASE_URL = 'postgres:///auth?host=/var/run/postgresql';
    process.env.DATABASE_PASSWORD = 'dropped';

    expect(() => databaseConfig()).toThrow(/DATABASE_PASSWORD needs a DATABASE_URL with a host name/);
  });

  it('should refuse DATABASE_PASSWORD without DATABASE_URL', () => {
    process.env.DATABASE_PASSWORD = 'lonely';

    expect(() => databaseConfig()).toThrow(/DATABASE_PASSWORD is set without DATABASE_URL/);
  });
});
