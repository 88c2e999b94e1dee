import { DataSource as DataSourceToken } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, registerUser, type TokenBody } from '../support/factories.js';
import { decodeJwt, forgeJwt } from '../support/jwt.js';
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

  it('should accept the genuine token, and a correctly re-signed copy (the forge helper is sound)', async () => {
    expect((await me(`Bearer ${victim.accessToken}`)).status).toBe(200);
    expect((await me(`Bearer ${forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims)}`)).status).toBe(200);
  });

  it.each([
    [
      'alg none, no signature',
      () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${victim.accessToken.split('.')[1]}.`,
    ],
    ['an empty signature', () => `${victim.accessToken.split('.').slice(0, 2).join('.')}.`],
    ['HS/RS confusion (alg RS256, HMAC signature)', () => forgeJwt({ alg: 'RS256', typ: 'JWT' }, claims)],
    ['HS512 instead of the pinned HS256', () => forgeJwt({ alg: 'HS512', typ: 'JWT' }, claims)],
    ['another key', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, claims, 'an attacker key that is long enough 123')],
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
        return `${Buffer.from('{"alg":"HS256","typ":"JWT","x":1}').toString('base64url')}.${payload}.${signature}`;
      },
    ],
    ['no iss', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: undefined })],
    ['a wrong iss', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'https://evil.example' })],
    ['no aud', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: undefined })],
    ['a wrong aud', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'other-api' })],
    ['nbf in the future', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, nbf: now() + 60 })],
    [
      'an expired token (past the 5 s tolerance)',
      () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now() - 1000, exp: now() - 30 }),
    ],
    ['no sid', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sid: undefined })],
    ['no sub', () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: undefined })],
    [
      'another user’s sub with this sid',
      () => forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: '00000000-0000-4000-8000-000000000000' }),
    ],
    ['a kid header', () => forgeJwt({ alg: 'HS256', typ: 'JWT', kid: '../../dev/null' }, claims)],
    ['a jku header', () => forgeJwt({ alg: 'HS256', typ: 'JWT', jku: 'https://evil.example/jwks.json' }, claims)],
    ['an x5u header', () => forgeJwt({ alg: 'HS256', typ: 'JWT', x5u: 'https://evil.example/cert.pem' }, claims)],
    ['an embedded jwk header', () => forgeJwt({ alg: 'HS256', typ: 'JWT', jwk: { kty: 'oct', k: 'AAAA' } }, claims)],
  ])('should refuse %s with 401', async (_case, make) => {
    const response = await me(`Bearer ${make()}`);

    expect(response.status).toBe(401);
    expectErrorShape(response.body, 401);
  });

  it('should accept a token that expired within the documented 5 s clock tolerance', async () => {
    const token = forgeJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now() - 900, exp: now() - 2 });

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
    expect((await me(`Bearer ${forgeJwt({ alg: 'HS256', typ: 'JWT' }, decodeJwt(deleted.accessToken).payload)}`)).status).toBe(
      401,
    );
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
