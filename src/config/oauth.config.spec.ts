import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problemsOf } from '../../test/support/config-problems.js';
import { oauthConfig } from './oauth.config.js';

const SECRET_A = '3f9c2a7d1e8b4c6a0f5d9e2b7c1a4f8e';
const SECRET_B = 'b7e1d9c3a5f20846e1c7b9d3f5a2e8c4';

describe('oauthConfig', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of ['INTROSPECTION_CLIENTS', 'INTROSPECTION_RATE_LIMIT', 'PUBLIC_URL', 'APP_URL', 'PORT', 'NODE_ENV'])
      delete process.env[key];
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should have no clients, a generous per-client limit and a local base URL by default', () => {
    process.env.PORT = '4000';

    expect(oauthConfig()).toEqual({
      introspectionClients: [],
      introspectionRateLimit: { limit: 6000, ttl: 60_000 },
      publicUrl: 'http://localhost:4000',
    });
  });

  it('should keep each client id with only the SHA-256 of its secret', () => {
    process.env.INTROSPECTION_CLIENTS = ` billing:${SECRET_A} , search.v2:${SECRET_B}`;

    const config = oauthConfig();

    expect(config.introspectionClients).toEqual([
      { id: 'billing', secretSha256: createHash('sha256').update(SECRET_A).digest() },
      { id: 'search.v2', secretSha256: createHash('sha256').update(SECRET_B).digest() },
    ]);
    expect(JSON.stringify(config)).not.toContain(SECRET_A);
    expect(JSON.stringify(config)).not.toContain(SECRET_B);
  });

  it('should read INTROSPECTION_RATE_LIMIT as a count per window', () => {
    process.env.INTROSPECTION_RATE_LIMIT = '100/10s';

    expect(oauthConfig().introspectionRateLimit).toEqual({ limit: 100, ttl: 10_000 });
  });

  it('should take PUBLIC_URL over APP_URL, without a trailing slash', () => {
    process.env.APP_URL = 'https://app.example.com';
    expect(oauthConfig().publicUrl).toBe('https://app.example.com');

    process.env.PUBLIC_URL = 'https://auth.example.com/';
    expect(oauthConfig().publicUrl).toBe('https://auth.example.com');
  });

  it('should refuse malformed clients, naming each by position or id and never showing a secret', () => {
    process.env.INTROSPECTION_CLIENTS = [
      `no colon ${SECRET_A}`,
      'short:abc',
      `bad id!:${SECRET_A}`,
      `plus:${SECRET_B.slice(0, 31)}+`,
      `billing:${SECRET_A}`,
      `billing:${SECRET_B}`,
      `copy:${SECRET_A}`,
    ].join(',');

    const problems = problemsOf(() => oauthConfig());

    expect(problems).toEqual([
      'INTROSPECTION_CLIENTS: client 1: the id must be 1 to 64 letters, digits or . _ - (each client is written id:secret)',
      'INTROSPECTION_CLIENTS: client 2 (short): the secret must be 32 to 256 characters',
      'INTROSPECTION_CLIENTS: client 3: the id must be 1 to 64 letters, digits or . _ - (each client is written id:secret)',
      'INTROSPECTION_CLIENTS: client 4 (plus): the secret may hold only letters, digits and . _ ~ - (generate one: openssl rand -hex 32)',
      'INTROSPECTION_CLIENTS: client 6 (billing): the id is listed twice',
      "INTROSPECTION_CLIENTS: client 7 (copy): the secret is another client's; give each client its own",
    ]);
    for (const secret of [SECRET_A, SECRET_B]) expect(problems.join('\n')).not.toContain(secret.slice(0, 12));
  });

  it('should refuse a client id longer than 64 characters', () => {
    process.env.INTROSPECTION_CLIENTS = `${'a'.repeat(65)}:${SECRET_A}`;

    expect(problemsOf(() => oauthConfig())).toHaveLength(1);

    process.env.INTROSPECTION_CLIENTS = `${'a'.repeat(64)}:${SECRET_A}`;
    expect(oauthConfig().introspectionClients).toHaveLength(1);
  });

  it('should refuse a placeholder secret in production only', () => {
    process.env.INTROSPECTION_CLIENTS = 'billing:change-me-change-me-change-me-change-me';
    expect(oauthConfig().introspectionClients).toHaveLength(1);

    process.env.NODE_ENV = 'production';
    expect(problemsOf(() => oauthConfig())).toEqual([
      'INTROSPECTION_CLIENTS: client 1 (billing): the secret is a placeholder; generate one (openssl rand -hex 32)',
    ]);
  });

  it('should refuse a bad limit and a PUBLIC_URL that is not a plain base URL', () => {
    Object.assign(process.env, { INTROSPECTION_RATE_LIMIT: '6000 a minute', PUBLIC_URL: 'https://auth.example.com/?x=1' });

    expect(problemsOf(() => oauthConfig())).toEqual([
      'INTROSPECTION_RATE_LIMIT: INTROSPECTION_RATE_LIMIT must be a count per duration, such as 10/1m or 300/60s',
      'PUBLIC_URL must have no query or fragment (it is the base of the URLs the service publishes)',
    ]);

    process.env.PUBLIC_URL = 'auth.example.com';
    expect(problemsOf(() => oauthConfig())).toContain(
      'PUBLIC_URL: PUBLIC_URL must be an http(s) URL such as https://auth.example.com',
    );
  });
});
