import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createResourceServer } from '../examples/resource-server/src/resource-server.js';
import type { ResourceServerOptions } from '../examples/resource-server/src/resource-server.options.js';
import { SigningKeysService } from '../src/signing-keys/signing-keys.service.js';
import { bearer, login, registerUser, type TokenBody } from './support/factories.js';
import { appSigningKey, decodeJwt, forgeJwt } from './support/jwt.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'orders-api';
const CLI = { userId: null, channel: 'cli' } as const;

interface Example {
  app: NestFastifyApplication;
  http: TestAgent;
}

describe('examples/resource-server, trusting this service’s tokens (e2e)', () => {
  let auth: TestApp;
  let example: Example;
  let user: TokenBody & { email: string };

  /** The example as a team would run it, pointed at this service; each start has an empty JWKS cache. */
  async function startExample(options: Partial<ResourceServerOptions> = {}): Promise<Example> {
    const app = await createResourceServer({
      authUrl: auth.url,
      issuer: ISSUER,
      audience: AUDIENCE,
      logger: ['error'],
      ...options,
    });
    await app.listen(0, '127.0.0.1');
    return { app, http: request(await app.getUrl()) };
  }

  const orders = (token: string) => example.http.get('/orders').set(bearer(token));
  const kids = async () =>
    ((await auth.http.get('/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((k) => k.kid);

  beforeAll(async () => {
    auth = await startTestApp({ env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    example = await startExample();
    user = await registerUser(auth);
  });

  afterAll(async () => {
    await example?.app.close();
    await auth?.close();
  });

  it('should answer its public route without a token', async () => {
    const response = await example.http.get('/health');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('should accept a token this service issued and know the caller from it alone', async () => {
    const response = await orders(user.accessToken);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sub: user.user.id, roles: ['user'], orders: [] });
  });

  it('should refuse a request without a token, or with another scheme', async () => {
    expect((await example.http.get('/orders')).status).toBe(401);
    expect((await example.http.get('/orders').set('Authorization', `Basic ${user.accessToken}`)).status).toBe(401);
  });

  describe('forged and misused tokens', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = () => decodeJwt(user.accessToken).payload;
    /** Signed with this service's own current key: only what the case changes can make it fail. */
    const genuine = (payload: Record<string, unknown>) => {
      const { kid, alg, key } = appSigningKey(auth);
      return forgeJwt({ alg, typ: 'JWT', kid }, payload, key);
    };
    const attackerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

    it('should accept a correctly re-signed copy (the forge helper is sound)', async () => {
      expect((await orders(genuine(claims()))).status).toBe(200);
    });

    it.each([
      ['another P-256 key under the genuine kid', () => forgeJwt(decodeJwt(user.accessToken).header, claims(), attackerKey)],
      ['a kid the JWKS does not list', () => forgeJwt({ alg: 'ES256', typ: 'JWT', kid: 'attacker-key' }, claims(), attackerKey)],
      [
        'alg none, no signature',
        () => {
          const header = { alg: 'none', typ: 'JWT', kid: appSigningKey(auth).kid };
          return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${user.accessToken.split('.')[1]}.`;
        },
      ],
      [
        'HS256 with the public key (PEM, as a verifier holds it) as the HMAC secret',
        () =>
          forgeJwt(
            { alg: 'HS256', typ: 'JWT', kid: appSigningKey(auth).kid },
            claims(),
            createPublicKey(appSigningKey(auth).key).export({ format: 'pem', type: 'spki' }),
          ),
      ],
      ['a wrong iss', () => genuine({ ...claims(), iss: 'https://evil.test' })],
      ['no iss', () => genuine({ ...claims(), iss: undefined })],
      ['a wrong aud', () => genuine({ ...claims(), aud: 'billing-api' })],
      ['an expired token', () => genuine({ ...claims(), iat: now() - 1000, exp: now() - 60 })],
      ['no sub', () => genuine({ ...claims(), sub: undefined })],
    ])('should refuse %s (401)', async (_case, token) => {
      const response = await orders(token());

      expect(response.status).toBe(401);
    });
  });

  it('should refuse the admin route to a user token (403) and open it to a token issued once the user is admin', async () => {
    expect((await example.http.get('/orders/all').set(bearer(user.accessToken))).status).toBe(403);

    await auth.app.get(DataSource).query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [user.user.id]);
    const admin = await login(auth, user.email);
    const response = await example.http.get('/orders/all').set(bearer(admin.accessToken));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ sub: user.user.id, roles: ['user', 'admin'] });
    // The token issued before still says `user`: the example knows only what a token says.
    expect((await example.http.get('/orders/all').set(bearer(user.accessToken))).status).toBe(403);
  });

  describe('key rotation and revocation', () => {
    let oldToken: string;
    let newToken: string;

    it('should accept a token signed by a key rotated in at once, fetching the JWKS again for its kid, and still the old token', async () => {
      oldToken = user.accessToken;
      expect((await orders(oldToken)).status).toBe(200);

      const rotated = await auth.app.get(SigningKeysService).rotate(CLI, { immediately: true });
      newToken = (await login(auth, user.email)).accessToken;

      expect(decodeJwt(newToken).header.kid).toBe(rotated.kid);
      expect(rotated.kid).not.toBe(decodeJwt(oldToken).header.kid);
      expect((await orders(newToken)).status).toBe(200);
      expect((await orders(oldToken)).status).toBe(200);
    });

    it('should go on accepting a revoked key’s tokens until its JWKS cache lets go of the key: the limit of offline verification', async () => {
      const oldKid = String(decodeJwt(oldToken).header.kid);

      await auth.app.get(SigningKeysService).revoke(oldKid, CLI);

      expect(await kids()).not.toContain(oldKid);
      expect((await auth.http.get('/api/v1/auth/me').set(bearer(oldToken))).status).toBe(401);
      // The example cached the key when it first saw its kid and does not ask again until its cache
      // entry expires (jwksCacheMaxAge, 300 s by default): until then the revoked key still works here.
      expect((await orders(oldToken)).status).toBe(200);

      // A verifier whose cache no longer holds the key (here: a fresh start) fetches the JWKS and refuses it.
      await example.app.close();
      example = await startExample();
      expect((await orders(oldToken)).status).toBe(401);
      expect((await orders(newToken)).status).toBe(200);
    });
  });

  it('should keep accepting genuine tokens while tokens with made-up kids flood it, within its JWKS download limit', async () => {
    await example.app.close();
    example = await startExample({ jwksCacheMaxAge: 1 });
    const token = (await login(auth, user.email)).accessToken;
    const attackerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const fetches = vi.spyOn(globalThis, 'fetch');
    try {
      expect((await orders(token)).status).toBe(200);
      for (let i = 0; i < 30; i++) {
        const madeUp = forgeJwt({ alg: 'ES256', typ: 'JWT', kid: `made-up-${i}` }, decodeJwt(token).payload, attackerKey);
        expect((await orders(madeUp)).status).toBe(401);
      }
      // Past its 1-second cache entry the genuine key is looked up again, with the download limit used up.
      await sleep(1100);
      expect((await orders(token)).status).toBe(200);
      const downloads = fetches.mock.calls.filter(([url]) => url === `${auth.url}/.well-known/jwks.json`);
      expect(downloads.length).toBeGreaterThan(0);
      expect(downloads.length).toBeLessThanOrEqual(10);
    } finally {
      fetches.mockRestore();
    }
  });
});
