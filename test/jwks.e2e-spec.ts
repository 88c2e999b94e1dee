import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { AuditService } from '../src/audit/audit.service.js';
import { DatabaseNotifications } from '../src/common/database/notifications.js';
import { authConfig, type AuthConfig } from '../src/config/auth.config.js';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, registerUser, type TokenBody } from './support/factories.js';
import { decodeJwt } from './support/jwt.js';
import { createTestDatabase, startTestApp, type TestApp } from './support/test-app.js';

const kidOf = (token: string) => decodeJwt(token).header.kid as string;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface KeyBody {
  kid: string;
  algorithm: string;
  state: string;
  published: boolean;
  signsFrom: string;
}

async function makeAdmin(test: TestApp): Promise<TokenBody> {
  const admin = await registerUser(test);
  await test.app.get(DataSource).query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [admin.user.id]);
  return admin;
}

describe('signing keys and the JWKS (e2e)', () => {
  const JWKS_MAX_AGE = 2;
  let test: TestApp;
  let admin: TokenBody;
  const jwksUrl = () => new URL(`${test.url}/.well-known/jwks.json`);
  const me = (token: string) => test.http.get('/api/v1/auth/me').set(bearer(token));

  beforeAll(async () => {
    test = await startTestApp({ env: { JWKS_MAX_AGE: String(JWKS_MAX_AGE) } });
    admin = await makeAdmin(test);
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should publish only public ES256 keys, with a max-age and an ETag that answers 304', async () => {
    const response = await test.http.get('/.well-known/jwks.json').expect(200);

    expect(response.headers['cache-control']).toBe(`public, max-age=${JWKS_MAX_AGE}`);
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(response.body.keys).toEqual([
      {
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: kidOf(admin.accessToken),
        alg: 'ES256',
        use: 'sig',
      },
    ]);
    const again = await test.http.get('/.well-known/jwks.json').set('If-None-Match', response.headers.etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('should let a verifier check the tokens with jose and nothing but the JWKS', async () => {
    const user = await registerUser(test);

    const { payload, protectedHeader } = await jwtVerify(user.accessToken, createRemoteJWKSet(jwksUrl()), {
      algorithms: ['ES256'],
    });

    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: kidOf(user.accessToken) });
    expect(payload).toMatchObject({ sub: user.user.id, roles: ['user'] });
  });

  it('should keep key management to admins', async () => {
    const user = await registerUser(test);

    const list = await test.http.get('/api/v1/signing-keys').set(bearer(user.accessToken));
    const rotate = await test.http.post('/api/v1/signing-keys').set(bearer(user.accessToken)).send({});

    expect([list.status, rotate.status]).toEqual([403, 403]);
    expectErrorShape(rotate.body, 403);
    expect((await test.http.post('/api/v1/signing-keys/nope/revoke').set(bearer(admin.accessToken))).status).toBe(404);
  });

  it('should publish the next key before it signs, and verify tokens across the rotation without logging anyone out', async () => {
    const before = await registerUser(test);
    const oldKid = kidOf(before.accessToken);

    const rotated = await test.http.post('/api/v1/signing-keys').set(bearer(admin.accessToken)).send({}).expect(201);
    const next = rotated.body as KeyBody;
    expect(next).toMatchObject({ algorithm: 'ES256', state: 'next', published: true });
    expect(new Date(next.signsFrom).getTime() - Date.now()).toBeGreaterThan((JWKS_MAX_AGE - 1) * 1000);

    // A verifier that fetched the JWKS now, before the new key signs, and never fetches it again…
    const cached = createRemoteJWKSet(jwksUrl(), { cooldownDuration: 3_600_000, cacheMaxAge: 3_600_000 });
    await jwtVerify(before.accessToken, cached);
    const published = (await test.http.get('/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> };
    expect(published.keys.map((key) => key.kid).sort()).toEqual([oldKid, next.kid].sort());
    expect(kidOf((await login(test, before.email)).accessToken)).toBe(oldKid);

    await sleep(new Date(next.signsFrom).getTime() - Date.now() + 100);
    const after = await login(test, before.email);
    const refreshed = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: before.refreshToken }).expect(200))
      .body as TokenBody;

    // …verifies the new key's tokens and still the old key's.
    expect(kidOf(after.accessToken)).toBe(next.kid);
    expect(kidOf(refreshed.accessToken)).toBe(next.kid);
    await expect(jwtVerify(after.accessToken, cached)).resolves.toBeDefined();
    await expect(jwtVerify(before.accessToken, createRemoteJWKSet(jwksUrl()))).resolves.toBeDefined();
    expect((await me(before.accessToken)).status).toBe(200);
    const keys = (await test.http.get('/api/v1/signing-keys').set(bearer(admin.accessToken))).body as KeyBody[];
    expect(keys.map((key) => [key.kid, key.state])).toEqual([
      [next.kid, 'signing'],
      [oldKid, 'retiring'],
    ]);
  });

  it('should refuse at once every token of a revoked key, here and for a verifier, and sign on with a new key', async () => {
    const victim = await registerUser(test);
    const leaked = kidOf(victim.accessToken);
    const verifierBefore = createRemoteJWKSet(jwksUrl());
    await jwtVerify(victim.accessToken, verifierBefore);

    await test.http.post(`/api/v1/signing-keys/${leaked}/revoke`).set(bearer(admin.accessToken)).expect(204);

    const refused = await me(victim.accessToken);
    expect([refused.status, refused.body.code]).toEqual([401, 'token_invalid']);
    const published = (await test.http.get('/.well-known/jwks.json')).body as { keys: Array<{ kid: string }> };
    expect(published.keys.map((key) => key.kid)).not.toContain(leaked);
    await expect(jwtVerify(victim.accessToken, createRemoteJWKSet(jwksUrl()))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    // The session itself is fine: a refresh answers a token of the key that took over.
    const refreshed = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: victim.refreshToken }).expect(200))
      .body as TokenBody;
    expect(kidOf(refreshed.accessToken)).not.toBe(leaked);
    expect((await me(refreshed.accessToken)).status).toBe(200);
    await expect(jwtVerify(refreshed.accessToken, createRemoteJWKSet(jwksUrl()))).resolves.toBeDefined();
  });

  it('should audit key changes with who asked', async () => {
    const rows = await test.app
      .get(DataSource)
      .query<Array<{ type: string; user_id: string | null; detail: Record<string, unknown> }>>(
        `SELECT type, user_id, detail FROM audit_events WHERE type LIKE 'signing_key_%' ORDER BY created_at`,
      );

    expect(rows[0]).toMatchObject({
      type: 'signing_key_created',
      user_id: null,
      detail: { channel: 'start', algorithm: 'ES256' },
    });
    expect(rows).toContainEqual(
      expect.objectContaining({
        type: 'signing_key_created',
        user_id: admin.user.id,
        detail: expect.objectContaining({ channel: 'api' }),
      }),
    );
    expect(rows).toContainEqual(
      expect.objectContaining({
        type: 'signing_key_revoked',
        user_id: admin.user.id,
        detail: expect.objectContaining({ reason: 'revoked' }),
      }),
    );
  });
});

describe.each(['RS256', 'HS256'] as const)('signing keys with JWT_ALGORITHM=%s (e2e)', (algorithm) => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { JWT_ALGORITHM: algorithm } });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should sign with it, name the key, and publish it only when it is a public key', async () => {
    const user = await registerUser(test);
    const { header } = decodeJwt(user.accessToken);
    const jwks = (await test.http.get('/.well-known/jwks.json').expect(200)).body as { keys: Array<Record<string, unknown>> };

    expect(header).toMatchObject({ alg: algorithm, kid: expect.any(String) });
    expect((await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status).toBe(200);
    if (algorithm === 'HS256') {
      expect(jwks.keys).toEqual([]);
    } else {
      expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'RSA', kid: header.kid, alg: 'RS256' })]);
      expect(jwks.keys[0]).not.toHaveProperty('d');
      await expect(
        jwtVerify(user.accessToken, createRemoteJWKSet(new URL(`${test.url}/.well-known/jwks.json`))),
      ).resolves.toBeDefined();
    }
  });
});

describe('signing keys across restarts (e2e)', () => {
  it('should announce a key of a newly configured algorithm ahead, keep the old tokens valid, and refuse another master secret', async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestApp({ database });
      const user = await registerUser(first);
      await first.close();

      const second = await startTestApp({ database, env: { JWT_ALGORITHM: 'RS256', JWKS_MAX_AGE: '1' } });
      try {
        const jwks = (await second.http.get('/.well-known/jwks.json')).body as { keys: Array<{ alg: string }> };
        expect(jwks.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
        expect((await second.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status).toBe(200);
        await sleep(1100);
        expect(decodeJwt((await login(second, user.email)).accessToken).header.alg).toBe('RS256');
      } finally {
        await second.close();
      }

      await expect(
        startTestApp({ database, env: { JWT_SECRET: 'another-master-secret-that-is-long-enough-42' } }),
      ).rejects.toThrow(/JWT_SECRET does not open the current signing key/);
    } finally {
      await database.drop();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)(
    'should make one first key when two instances start at once on an empty database',
    async () => {
      const database = await createTestDatabase();
      // startTestApp sets the environment and puts it back; two at once would put back each other's.
      const environment = { ...process.env };
      const apps = await Promise.all([startTestApp({ database }), startTestApp({ database })]).finally(() => {
        for (const key of Object.keys(process.env)) if (!(key in environment)) delete process.env[key];
        Object.assign(process.env, environment);
      });
      try {
        const [a, b] = apps;
        const rows = await a.app.get(DataSource).query<Array<{ kid: string }>>('SELECT kid FROM signing_keys');
        const fromA = await registerUser(a);

        expect(rows).toHaveLength(1);
        expect(kidOf(fromA.accessToken)).toBe(rows[0].kid);
        expect((await b.http.get('/api/v1/auth/me').set(bearer(fromA.accessToken))).status).toBe(200);
      } finally {
        await Promise.all(apps.map((app) => app.close()));
        await database.drop();
      }
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'should make one key when several starts race for it, however they interleave',
    async () => {
      const test = await startTestApp();
      try {
        const dataSource = test.app.get(DataSource);
        const config = test.app.get<AuthConfig>(authConfig.KEY);
        await dataSource.query('DELETE FROM signing_keys');
        const starts = Array.from(
          { length: 4 },
          () =>
            new SigningKeysService(
              dataSource,
              config,
              test.app.get(AuditService),
              new DatabaseNotifications(dataSource, { shared: false }),
            ),
        );

        await Promise.all(starts.map((keys) => keys.onModuleInit()));

        const rows = await dataSource.query<Array<{ kid: string }>>('SELECT kid FROM signing_keys');
        expect(rows).toHaveLength(1);
        expect(new Set(starts.map((keys) => keys.signer().kid))).toEqual(new Set([rows[0].kid]));
        starts.forEach((keys) => keys.onApplicationShutdown());
      } finally {
        await test.close();
      }
    },
  );
});
