import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { appSigningKey, decodeJwt, forgeJwt } from './support/jwt.js';
import { startTestApp, TEST_APP_URL, type TestApp } from './support/test-app.js';

const INTROSPECT = '/api/v1/oauth/introspect';
const METADATA = '/.well-known/oauth-authorization-server';

const BILLING = { id: 'billing', secret: randomBytes(32).toString('hex') };
const SEARCH = { id: 'search.v2', secret: randomBytes(32).toString('hex') };
const CLIENTS = `${BILLING.id}:${BILLING.secret},${SEARCH.id}:${SEARCH.secret}`;

/** HTTP Basic as RFC 6749 §2.3.1 has it: each part form-encoded, then base64. */
function basic(id: string, secret: string): { Authorization: string } {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
  return { Authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}` };
}

const asBilling = basic(BILLING.id, BILLING.secret);

describe('token introspection (e2e)', () => {
  let test: TestApp;
  let admin: TokenBody;
  const introspect = (token: string, headers: Record<string, string> = asBilling, hint?: string) =>
    test.http
      .post(INTROSPECT)
      .set(headers)
      .type('form')
      .send({ token, ...(hint && { token_type_hint: hint }) });
  const sql = (query: string, parameters: unknown[]) => test.app.get(DataSource).query(query, parameters);

  beforeAll(async () => {
    const adminEmail = uniqueEmail('admin');
    test = await startTestApp({
      env: {
        INTROSPECTION_CLIENTS: CLIENTS,
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD: 'an admin password nobody guesses',
        // Any spent refresh token sent to /auth/refresh is then taken for theft: introspection must never be.
        JWT_REFRESH_REUSE_WINDOW: '0',
        // The absolute deadline comes before the idle one: a refresh token's exp is the earlier.
        SESSION_IDLE_TTL: '2h',
        SESSION_MAX_TTL: '1h',
        // Long enough that the API still answers from the cache while introspection reads the database.
        AUTH_CACHE_TTL: '60',
      },
    });
    admin = await login(test, adminEmail, 'an admin password nobody guesses');
  });

  afterAll(async () => {
    await test?.close();
  });

  describe('access tokens', () => {
    it('should describe an active access token, then answer exactly {active: false} once its session is logged out', async () => {
      const user = await registerUser(test);
      const claims = decodeJwt(user.accessToken).payload;

      const active = await introspect(user.accessToken);

      expect(active.status).toBe(200);
      expect(active.headers['cache-control']).toBe('no-store');
      expect(active.body).toEqual({
        active: true,
        sub: user.user.id,
        sid: claims.sid,
        jti: claims.jti,
        exp: claims.exp,
        iat: claims.iat,
        token_type: 'Bearer',
        token_use: 'access_token',
        roles: ['user'],
      });

      await test.http.post('/api/v1/auth/logout').set(bearer(user.accessToken)).expect(204);
      const loggedOut = await introspect(user.accessToken);

      expect(loggedOut.status).toBe(200);
      expect(loggedOut.headers['cache-control']).toBe('no-store');
      expect(loggedOut.body).toEqual({ active: false });
    });

    it('should answer {active: false} for an expired token, and accept one within the 5-second clock tolerance', async () => {
      const user = await registerUser(test);
      const { header, payload } = decodeJwt(user.accessToken);
      const now = Math.floor(Date.now() / 1000);
      const signed = (exp: number) => forgeJwt(header, { ...payload, iat: now - 900, exp }, appSigningKey(test).key);

      expect((await introspect(signed(now - 60))).body).toEqual({ active: false });
      expect((await introspect(signed(now - 1))).body).toMatchObject({ active: true, exp: now - 1 });
    });

    it('should answer {active: false} for a token signed with a key that is not ours, or with its algorithm changed', async () => {
      const user = await registerUser(test);
      const { header, payload } = decodeJwt(user.accessToken);
      const foreignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

      expect((await introspect(forgeJwt(header, payload, foreignKey))).body).toEqual({ active: false });
      expect((await introspect(forgeJwt({ ...header, alg: 'HS256' }, payload, 'a guessed secret'))).body).toEqual({
        active: false,
      });
      const unsigned = [{ ...header, alg: 'none' }, payload].map((part) =>
        Buffer.from(JSON.stringify(part)).toString('base64url'),
      );
      expect((await introspect(`${unsigned.join('.')}.`)).body).toEqual({ active: false });
    });

    it('should answer {active: false} as soon as an admin disables the user, for access and refresh tokens', async () => {
      const user = await registerUser(test);
      expect((await introspect(user.accessToken)).body.active).toBe(true);
      expect((await introspect(user.refreshToken)).body.active).toBe(true);

      await test.http.patch(`/api/v1/users/${user.user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);

      expect((await introspect(user.accessToken)).body).toEqual({ active: false });
      expect((await introspect(user.refreshToken)).body).toEqual({ active: false });
    });

    it('should read the user from the database, not from the API’s identity cache', async () => {
      const user = await registerUser(test);
      // The API remembers this session and user for AUTH_CACHE_TTL (60 s here)…
      expect((await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status).toBe(200);
      // …and a change made behind its back (another instance, or by hand) is not announced to it.
      await sql(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [user.user.id]);

      expect((await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).body.roles).toEqual(['user']);
      expect((await introspect(user.accessToken)).body.roles).toEqual(['user', 'admin']);

      await sql('UPDATE users SET disabled_at = now() WHERE id = $1', [user.user.id]);

      expect((await test.http.get('/api/v1/auth/me').set(bearer(user.accessToken))).status).toBe(200);
      expect((await introspect(user.accessToken)).body).toEqual({ active: false });
    });

    it('should show a role change at once, with the roles the user has now rather than those in the token', async () => {
      const user = await registerUser(test);
      expect((await introspect(user.accessToken)).body.roles).toEqual(['user']);

      await test.http
        .patch(`/api/v1/users/${user.user.id}`)
        .set(bearer(admin.accessToken))
        .send({ roles: ['user', 'admin'] })
        .expect(200);

      expect(decodeJwt(user.accessToken).payload.roles).toEqual(['user']);
      expect((await introspect(user.accessToken)).body.roles).toEqual(['user', 'admin']);
      expect((await introspect(user.refreshToken)).body.roles).toEqual(['user', 'admin']);
    });

    it('should answer {active: false} once the user is deleted', async () => {
      const user = await registerUser(test);

      await test.http.delete('/api/v1/users/me').set(bearer(user.accessToken)).send({ password: PASSWORD }).expect(204);

      expect((await introspect(user.accessToken)).body).toEqual({ active: false });
      expect((await introspect(user.refreshToken)).body).toEqual({ active: false });
    });

    it('should find an access token whatever the hint says', async () => {
      const user = await registerUser(test);

      expect((await introspect(user.accessToken, asBilling, 'refresh_token')).body.token_use).toBe('access_token');
      expect((await introspect(user.refreshToken, asBilling, 'access_token')).body.token_use).toBe('refresh_token');
      expect((await introspect(user.accessToken, asBilling, 'something_else')).body.active).toBe(true);
    });
  });

  describe('refresh tokens', () => {
    it('should describe the current refresh token, its exp the earlier of the idle and absolute deadlines', async () => {
      const user = await registerUser(test);
      const sid = decodeJwt(user.accessToken).payload.sid;
      const [session] = await sql('SELECT last_used_at, expires_at, absolute_expires_at FROM sessions WHERE id = $1', [sid]);
      const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

      const response = await introspect(user.refreshToken);

      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({
        active: true,
        sub: user.user.id,
        sid,
        exp: seconds(session.absolute_expires_at),
        iat: seconds(session.last_used_at),
        token_use: 'refresh_token',
        roles: ['user'],
      });
      // SESSION_MAX_TTL (1 h) ends the session before SESSION_IDLE_TTL (2 h) would.
      expect(response.body.exp - response.body.iat).toBe(3600);
      expect(seconds(session.expires_at)).toBe(response.body.exp);
    });

    it('should neither spend the token nor count as its use', async () => {
      const user = await registerUser(test);
      const sid = decodeJwt(user.accessToken).payload.sid;
      const lastUsed = async () => (await sql('SELECT last_used_at FROM sessions WHERE id = $1', [sid]))[0].last_used_at as Date;
      const before = await lastUsed();

      const first = await introspect(user.refreshToken);
      const second = await introspect(user.refreshToken);

      expect(second.body).toEqual(first.body);
      expect((await lastUsed()).getTime()).toBe(before.getTime());
      expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(200);
    });

    it('should answer {active: false} for a spent refresh token, without ending the session as a reuse would', async () => {
      const user = await registerUser(test);
      const refreshed = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken });
      expect(refreshed.status).toBe(200);

      expect((await introspect(user.refreshToken)).body).toEqual({ active: false });
      expect((await introspect(user.refreshToken, asBilling, 'refresh_token')).body).toEqual({ active: false });

      expect((await introspect(refreshed.body.refreshToken)).body).toMatchObject({ active: true, token_use: 'refresh_token' });
      expect((await introspect(refreshed.body.accessToken)).body).toMatchObject({ active: true, token_use: 'access_token' });
      expect((await test.http.get('/api/v1/auth/me').set(bearer(refreshed.body.accessToken))).status).toBe(200);
      const next = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: refreshed.body.refreshToken });
      expect(next.status).toBe(200);
      const events = await test.http.get('/api/v1/auth/events').set(bearer(next.body.accessToken));
      expect(events.body.items.map((event: { type: string }) => event.type)).not.toContain('refresh_reuse_detected');
    });

    it('should answer {active: false} for a made-up secret on a live session, and after logout', async () => {
      const user = await registerUser(test);
      const sid = decodeJwt(user.accessToken).payload.sid as string;

      expect((await introspect(`${sid}.${randomBytes(32).toString('base64url')}`)).body).toEqual({ active: false });
      expect((await introspect(user.refreshToken)).body.active).toBe(true);

      await test.http.post('/api/v1/auth/logout').set(bearer(user.accessToken)).expect(204);

      expect((await introspect(user.refreshToken)).body).toEqual({ active: false });
    });
  });

  describe('anything else', () => {
    it.each([
      ['junk', 'junk'],
      ['an empty token', ''],
      ['three dots', 'a.b.c'],
      ['a token too long to be ours', `${'a'.repeat(3000)}.${'b'.repeat(3000)}.c`],
      ['a refresh token of no session', `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.${'A'.repeat(43)}`],
      ['SQL', "' OR 1=1 --"],
    ])('should answer exactly {active: false} with 200 for %s', async (_case, token) => {
      const response = await introspect(token);

      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({ active: false });
    });

    it('should answer 400 when the token parameter is missing or sent twice, or another parameter is sent', async () => {
      const form = (body: string) => test.http.post(INTROSPECT).set(asBilling).type('form').send(body);

      const missing = await form('token_type_hint=access_token');
      const twice = await form('token=a&token=b');
      const unknown = await form('token=a&client_secret=b');
      const prototype = await form('token=a&__proto__=b');

      expect([missing.status, twice.status, unknown.status, prototype.status]).toEqual([400, 400, 400, 400]);
      expect(missing.body.message).toContain('token must be a string');
      expect(twice.body.message).toContain('token must be a string');
      expect(unknown.body.message).toContain('property client_secret should not exist');
      expect(prototype.body).toMatchObject({ code: 'bad_request', message: 'The form must not hold a field named __proto__' });
    });
  });

  describe('client authentication', () => {
    it('should answer 401 client_unauthorized with a Basic challenge when no client credentials are sent', async () => {
      const user = await registerUser(test);

      const response = await test.http.post(INTROSPECT).type('form').send({ token: user.accessToken });

      expect(response.status).toBe(401);
      expectErrorShape(response.body, 401);
      expect(response.body.code).toBe('client_unauthorized');
      expect(response.headers['www-authenticate']).toBe('Basic realm="introspection"');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(JSON.stringify(response.body)).not.toContain(user.user.id);
    });

    it.each([
      ['a wrong secret', basic(BILLING.id, SEARCH.secret)],
      ['an unknown client', basic('nobody', BILLING.secret)],
      ['a secret with one character changed', basic(BILLING.id, `${BILLING.secret.slice(0, -1)}x`)],
      ['the id alone', { Authorization: `Basic ${Buffer.from(`${BILLING.id}:`).toString('base64')}` }],
      ['not base64', { Authorization: 'Basic !!!' }],
      ['a bearer token', { Authorization: `Bearer ${BILLING.secret}` }],
    ])('should answer 401 for %s', async (_case, headers) => {
      const response = await introspect('junk', headers);

      expect(response.status).toBe(401);
      expect(response.body.code).toBe('client_unauthorized');
      expect(response.headers['www-authenticate']).toBe('Basic realm="introspection"');
    });

    it('should accept every registered client, the scheme name in any case', async () => {
      expect((await introspect('junk', basic(SEARCH.id, SEARCH.secret))).status).toBe(200);
      expect((await introspect('junk', { Authorization: asBilling.Authorization.replace('Basic', 'basic') })).status).toBe(200);
    });

    it('should not accept a user’s access token in place of client credentials', async () => {
      const user = await registerUser(test);

      expect((await introspect(user.accessToken, bearer(user.accessToken))).status).toBe(401);
    });
  });

  describe('media types', () => {
    it('should take only a form: JSON and text get 415', async () => {
      const user = await registerUser(test);

      const json = await test.http.post(INTROSPECT).set(asBilling).send({ token: user.accessToken });
      const text = await test.http
        .post(INTROSPECT)
        .set(asBilling)
        .set('Content-Type', 'text/plain')
        .send(`token=${user.accessToken}`);

      expect(json.status).toBe(415);
      expect(json.body.code).toBe('unsupported_media_type');
      expect(json.body.message).toBe('Send the body as a form, with Content-Type: application/x-www-form-urlencoded');
      expect(text.status).toBe(415);
    });

    it('should still answer a form posted to refresh or login with 415, before anything is spent', async () => {
      const user = await registerUser(test);

      const refresh = await test.http.post('/api/v1/auth/refresh').type('form').send({ refreshToken: user.refreshToken });
      const loginForm = await test.http.post('/api/v1/auth/login').type('form').send({ email: user.email, password: PASSWORD });

      expect(refresh.status).toBe(415);
      expect(refresh.body.code).toBe('unsupported_media_type');
      expect(refresh.body.message).toMatch(/Content-Type: application\/json/);
      expect(loginForm.status).toBe(415);
      expect(loginForm.body.code).toBe('unsupported_media_type');
      expect((await introspect(user.refreshToken)).body.active).toBe(true);
    });
  });

  describe('metadata (RFC 8414)', () => {
    it('should publish the issuer, the JWKS, the introspection endpoint and the signing algorithm, cacheable', async () => {
      const response = await test.http.get(METADATA);

      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
      expect(response.body).toEqual({
        issuer: TEST_APP_URL,
        jwks_uri: `${TEST_APP_URL}/.well-known/jwks.json`,
        introspection_endpoint: `${TEST_APP_URL}${INTROSPECT}`,
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
        response_types_supported: [],
        access_token_signing_alg_values_supported: ['ES256'],
      });
      expect(decodeJwt(admin.accessToken).header.alg).toBe('ES256');
    });

    it('should be outside the /api prefix and its versions, and need no token', async () => {
      expect((await test.http.get(`/api${METADATA}`)).status).toBe(404);
      expect((await test.http.get(`/api/v1${METADATA}`)).status).toBe(404);
    });

    it('should document both routes in the OpenAPI document: Basic and a form for introspection', async () => {
      const openApi = (await test.http.get('/docs-json')).body;
      const introspection = openApi.paths[INTROSPECT].post;
      const metadata = openApi.paths[METADATA].get;

      expect(openApi.components.securitySchemes['introspection-client']).toMatchObject({ type: 'http', scheme: 'basic' });
      expect(introspection.security).toEqual([{ 'introspection-client': [] }]);
      expect(Object.keys(introspection.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
      expect(introspection.tags).toEqual(['oauth']);
      expect(Object.keys(introspection.responses['401'].content['application/json'].examples)).toEqual(['client_unauthorized']);
      expect(metadata.security).toEqual([{}]);
      expect(metadata.tags).toEqual(['oauth']);
    });
  });
});

describe('token introspection with JWT_ISSUER, JWT_AUDIENCE and PUBLIC_URL (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      env: {
        INTROSPECTION_CLIENTS: CLIENTS,
        JWT_ISSUER: 'https://auth.example.com',
        JWT_AUDIENCE: 'https://api.example.com',
        PUBLIC_URL: 'https://auth.example.com/',
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should publish JWT_ISSUER as the issuer and build the URLs on PUBLIC_URL', async () => {
    const response = await test.http.get(METADATA);

    expect(response.body).toMatchObject({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      introspection_endpoint: `https://auth.example.com${INTROSPECT}`,
    });
    const path = new URL(response.body.introspection_endpoint).pathname;
    expect((await test.http.post(path).set(asBilling).type('form').send({ token: 'junk' })).body).toEqual({ active: false });
    expect((await test.http.get(new URL(response.body.jwks_uri).pathname)).body.keys).toHaveLength(1);
  });

  it('should add iss and aud to an active access token, as signed', async () => {
    const user = await registerUser(test);

    const response = await test.http.post(INTROSPECT).set(asBilling).type('form').send({ token: user.accessToken });

    expect(response.body).toMatchObject({ active: true, iss: 'https://auth.example.com', aud: 'https://api.example.com' });
  });

  it('should answer {active: false} for a token of another issuer or audience, even signed with our key', async () => {
    const user = await registerUser(test);
    const { header, payload } = decodeJwt(user.accessToken);
    const { key } = appSigningKey(test);
    const introspect = (token: string) => test.http.post(INTROSPECT).set(asBilling).type('form').send({ token });

    expect((await introspect(forgeJwt(header, { ...payload, iss: 'https://evil.example.com' }, key))).body).toEqual({
      active: false,
    });
    expect((await introspect(forgeJwt(header, { ...payload, aud: 'https://other.example.com' }, key))).body).toEqual({
      active: false,
    });
    expect((await introspect(forgeJwt(header, payload, key))).body.active).toBe(true);
  });
});

/** In memory always; in Redis when REDIS_URL is set, as test/attack/rate-limits.e2e-spec.ts does. */
const STORES = [
  { store: 'memory', env: {} as Record<string, string> },
  ...(process.env.REDIS_URL ? [{ store: 'redis', env: { REDIS_URL: process.env.REDIS_URL } }] : []),
];

describe.each(STORES)('token introspection rate limits, counters in $store (e2e)', ({ env: storeEnv }) => {
  let test: TestApp;

  afterEach(async () => {
    await test?.close();
  });

  const introspect = (headers: Record<string, string>) =>
    test.http.post(INTROSPECT).set(headers).type('form').send({ token: 'junk' });

  it('should hold a client to its own limit only, and a caller without valid credentials to the per-IP limit', async () => {
    test = await startTestApp({
      env: {
        ...storeEnv,
        REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
        RATE_LIMIT: 'on',
        RATE_LIMIT_GLOBAL: '3/1m',
        INTROSPECTION_CLIENTS: CLIENTS,
        INTROSPECTION_RATE_LIMIT: '5/1m',
      },
    });
    const wrongSecret = basic(BILLING.id, SEARCH.secret);

    const billing = [];
    for (let i = 0; i < 6; i++) billing.push((await introspect(asBilling)).status);
    const refused = await introspect(asBilling);

    // Past the per-IP limit of 3, and its own limit of 5 applies.
    expect(billing).toEqual([200, 200, 200, 200, 200, 429]);
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['cache-control']).toBe('no-store');

    // None of those used up this address's budget; wrong secrets and other routes do.
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push((await introspect(wrongSecret)).status);
    expect(guesses).toEqual([401, 401, 401, 429]);
    expect((await test.http.get('/api/v1/auth/me')).status).toBe(429);
    expect((await introspect({})).status).toBe(429);

    // Another client is held by neither the address's counter nor billing's.
    expect((await introspect(basic(SEARCH.id, SEARCH.secret))).status).toBe(200);
  });

  it('should let RATE_LIMIT=off turn the client limit off too', async () => {
    test = await startTestApp({
      env: { ...storeEnv, RATE_LIMIT: 'off', INTROSPECTION_CLIENTS: CLIENTS, INTROSPECTION_RATE_LIMIT: '1/1m' },
    });

    expect([(await introspect(asBilling)).status, (await introspect(asBilling)).status]).toEqual([200, 200]);
  });
});
