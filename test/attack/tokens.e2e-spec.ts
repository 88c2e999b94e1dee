import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { DataSource as DataSourceToken } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, registerUser, type TokenBody } from '../support/factories.js';
import { appSigningKey, decodeJwt, forgeJwt } from '../support/jwt.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'test-api';

describe('attack: forged and misused tokens (e2e)', () => {
  let test: TestApp;
  let victim: TokenBody;
  let claims: Record<string, unknown>;
  const now = () => Math.floor(Date.now() / 1000);
  const me = (authorization: string) => test.http.get('/api/v1/auth/me').set('Authorization', authorization);

  beforeAll(async () => {
    test = await startTestApp({ env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    victim = await registerUser(test);
    claims = decodeJwt(victim.accessToken).payload;
  });

  afterAll(async () => {
    await test?.close();
  });

  /** Signed with the app's own current key: only what the case changes can make it fail. */
  const genuine = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
    const { kid, alg, key } = appSigningKey(test);
    return forgeJwt({ alg, typ: 'JWT', kid, ...header }, payload, key);
  };
  const attackerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const publicPem = () => createPublicKey(appSigningKey(test).key).export({ format: 'pem', type: 'spki' }) as string;

  it('should accept the genuine token, and a correctly re-signed copy (the forge helper is sound)', async () => {
    expect((await me(`Bearer ${victim.accessToken}`)).status).toBe(200);
    expect((await me(`Bearer ${genuine({}, claims)}`)).status).toBe(200);
  });

  it.each([
    [
      'alg none, no signature',
      () =>
        `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: appSigningKey(test).kid })).toString('base64url')}.${victim.accessToken.split('.')[1]}.`,
    ],
    ['an empty signature', () => `${victim.accessToken.split('.').slice(0, 2).join('.')}.`],
    [
      'alg confusion: HS256 with the public key (PEM) as the HMAC secret',
      () => forgeJwt({ alg: 'HS256', typ: 'JWT', kid: appSigningKey(test).kid }, claims, publicPem()),
    ],
    [
      'alg confusion: HS256 with the published JWK as the HMAC secret',
      () =>
        forgeJwt(
          { alg: 'HS256', typ: 'JWT', kid: appSigningKey(test).kid },
          claims,
          JSON.stringify(createPublicKey(appSigningKey(test).key).export({ format: 'jwk' })),
        ),
    ],
    ['ES512 instead of the key’s ES256', () => genuine({ alg: 'ES512' }, claims)],
    ['RS256 instead of the key’s ES256', () => genuine({ alg: 'RS256' }, claims)],
    ['another key under the genuine kid', () => forgeJwt(decodeJwt(victim.accessToken).header, claims, attackerKey)],
    ['an unknown kid', () => forgeJwt({ alg: 'ES256', typ: 'JWT', kid: 'attacker-key' }, claims, attackerKey)],
    [
      'a changed payload (roles: admin), old signature',
      () => {
        const [header, , signature] = victim.accessToken.split('.');
        return `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${signature}`;
      },
    ],
    [
      'a changed header, old signature',
      () => {
        const [, payload, signature] = victim.accessToken.split('.');
        const header = { ...decodeJwt(victim.accessToken).header, x: 1 };
        return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
      },
    ],
    ['no iss', () => genuine({}, { ...claims, iss: undefined })],
    ['a wrong iss', () => genuine({}, { ...claims, iss: 'https://evil.example' })],
    ['no aud', () => genuine({}, { ...claims, aud: undefined })],
    ['a wrong aud', () => genuine({}, { ...claims, aud: 'other-api' })],
    ['nbf in the future', () => genuine({}, { ...claims, nbf: now() + 60 })],
    ['an expired token (past the 5 s tolerance)', () => genuine({}, { ...claims, iat: now() - 1000, exp: now() - 30 })],
    ['no sid', () => genuine({}, { ...claims, sid: undefined })],
    ['no sub', () => genuine({}, { ...claims, sub: undefined })],
    ['another user’s sub with this sid', () => genuine({}, { ...claims, sub: '00000000-0000-4000-8000-000000000000' })],
    ['no kid header', () => genuine({ kid: undefined }, claims)],
    ['a kid that is a path', () => genuine({ kid: '../../dev/null' }, claims)],
    ['a jku header', () => genuine({ jku: 'https://evil.example/jwks.json' }, claims)],
    ['an x5u header', () => genuine({ x5u: 'https://evil.example/cert.pem' }, claims)],
    ['an x5c header', () => genuine({ x5c: ['MIIB'] }, claims)],
    [
      'an embedded jwk header',
      () =>
        forgeJwt({ alg: 'ES256', typ: 'JWT', jwk: createPublicKey(attackerKey).export({ format: 'jwk' }) }, claims, attackerKey),
    ],
    [
      'an embedded jwk header beside the genuine kid',
      () => genuine({ jwk: createPublicKey(attackerKey).export({ format: 'jwk' }) }, claims),
    ],
  ])('should refuse %s with 401', async (_case, make) => {
    const response = await me(`Bearer ${make()}`);

    expect(response.status).toBe(401);
    expectErrorShape(response.body, 401);
  });

  it('should accept a token that expired within the documented 5 s clock tolerance', async () => {
    const token = genuine({}, { ...claims, iat: now() - 900, exp: now() - 2 });

    expect((await me(`Bearer ${token}`)).status).toBe(200);
  });

  it.each([
    ['a double space', (t: string) => `Bearer  ${t}`],
    // (Surrounding spaces are not part of a header value in HTTP; Node strips them before any code sees them.)
    ['a tab for the space', (t: string) => `Bearer\t${t}`],
    ['extra words', (t: string) => `Bearer ${t} extra`],
    ['a JWT scheme', (t: string) => `JWT ${t}`],
    ['two tokens', (t: string) => `Bearer ${t}, Bearer ${t}`],
  ])('should refuse an Authorization header with %s', async (_case, header) => {
    expect((await me(header(victim.accessToken))).status).toBe(401);
  });

  it('should never take the token from the query string or the body', async () => {
    const query = await test.http.get(`/api/v1/auth/me?access_token=${victim.accessToken}&token=${victim.accessToken}`);
    const body = await test.http
      .post('/api/v1/auth/logout')
      .send({ access_token: victim.accessToken, token: victim.accessToken });

    expect(query.status).toBe(401);
    expect(body.status).toBe(401);
  });

  it('should refuse a made-up refresh token for a known session without ending that session', async () => {
    const target = await registerUser(test);
    const sid = decodeJwt(target.accessToken).payload.sid as string;

    const forged = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: `${sid}.${'A'.repeat(43)}` });

    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('refresh_token_invalid');
    expect(forged.body.message).toBe('Invalid or expired refresh token');
    expect((await me(`Bearer ${target.accessToken}`)).status).toBe(200);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: target.refreshToken })).status).toBe(200);
  });

  // The rate limiter counts answers with this code as guesses: every made-up token must carry it.
  it.each([
    ['garbage', () => ({ refreshToken: 'not-a-token' })],
    ['an unknown session', () => ({ refreshToken: `00000000-0000-4000-8000-000000000000.${'A'.repeat(43)}` })],
    ['a known session with a made-up secret', () => ({ refreshToken: `${claims.sid as string}.${'B'.repeat(43)}` })],
    ['an access token', () => ({ refreshToken: victim.accessToken })],
  ])('should answer a refresh with %s with code refresh_token_invalid', async (_case, body) => {
    const response = await test.http.post('/api/v1/auth/refresh').send(body());

    expect([response.status, response.body.code]).toEqual([401, 'refresh_token_invalid']);
  });

  it('should answer a made-up refresh cookie with code refresh_token_invalid', async () => {
    const response = await test.http
      .post('/api/v1/auth/refresh')
      .set('X-Token-Transport', 'cookie')
      .set('Cookie', `auth_refresh=${claims.sid as string}.${'C'.repeat(43)}`)
      .send({});

    expect([response.status, response.body.code]).toEqual([401, 'refresh_token_invalid']);
  });

  it('should refuse a refresh token as an access token, and an access token as a refresh token', async () => {
    expect((await me(`Bearer ${victim.refreshToken}`)).status).toBe(401);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: victim.accessToken })).status).toBe(401);
  });

  it('should refuse a valid token of a deleted or disabled user', async () => {
    const admin = await registerUser(test);
    await test.app.get(DataSourceToken).query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [admin.user.id]);
    const disabled = await registerUser(test);
    const deleted = await registerUser(test);

    await test.http
      .patch(`/api/v1/users/${disabled.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ disabled: true })
      .expect(200);
    await test.http.delete(`/api/v1/users/${deleted.user.id}`).set(bearer(admin.accessToken)).expect(204);

    expect((await me(`Bearer ${disabled.accessToken}`)).status).toBe(401);
    expect((await me(`Bearer ${deleted.accessToken}`)).status).toBe(401);
    expect((await me(`Bearer ${genuine({}, decodeJwt(deleted.accessToken).payload)}`)).status).toBe(401);
  });
});

describe('attack: session lifetimes (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { SESSION_IDLE_TTL: '3s', SESSION_MAX_TTL: '5s' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('should end a session whose refresh token went unused past the idle timeout', async () => {
    const { refreshToken, accessToken } = await registerUser(test);

    await pause(3_500);

    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(401);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(401);
  });

  it('should end a session at its absolute lifetime however often it is refreshed', async () => {
    const first = await registerUser(test);
    let refreshToken = first.refreshToken;
    const started = Date.now();

    for (const at of [1_500, 3_000]) {
      await pause(started + at - Date.now());
      const response = await test.http.post('/api/v1/auth/refresh').send({ refreshToken });
      expect(response.status).toBe(200);
      refreshToken = (response.body as TokenBody).refreshToken;
    }
    const sessions = await test.http.get('/api/v1/auth/sessions').set(bearer((await login(test, first.email)).accessToken));
    const expiries = (sessions.body as Array<{ expiresAt: string; createdAt: string }>).map(
      (s) => Date.parse(s.expiresAt) - Date.parse(s.createdAt),
    );
    expect(Math.max(...expiries)).toBeLessThanOrEqual(5_000);

    await pause(started + 5_500 - Date.now());
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(401);
  });
});
