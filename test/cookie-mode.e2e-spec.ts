import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, PASSWORD, registerUser, uniqueEmail } from './support/factories.js';
import { startTestApp, TEST_APP_URL, type TestApp } from './support/test-app.js';

const COOKIE_MODE = { 'X-Token-Transport': 'cookie' };

function refreshCookie(setCookie: string[] | string | undefined, name = 'auth_refresh'): string | undefined {
  return [setCookie ?? []].flat().find((value) => value.startsWith(`${name}=`));
}

describe('refresh token in an HttpOnly cookie (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { JWT_REFRESH_REUSE_WINDOW: '0' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  const loginInCookieMode = async () => {
    const { email } = await registerUser(test);
    const response = await test.http.post('/api/v1/auth/login').set(COOKIE_MODE).send({ email, password: PASSWORD });
    expect(response.status).toBe(200);
    const cookie = refreshCookie(response.headers['set-cookie']);
    expect(cookie).toBeDefined();
    return { response, cookie: cookie!.split(';')[0] };
  };

  it('should set the refresh token only as an HttpOnly, SameSite=Strict cookie scoped to the auth routes', async () => {
    const { response, cookie } = await loginInCookieMode();

    expect(response.body.refreshToken).toBeUndefined();
    expect(response.body.accessToken).toEqual(expect.any(String));
    const header = refreshCookie(response.headers['set-cookie'])!;
    expect(header).toMatch(/^auth_refresh=[0-9a-f-]{36}\.[\w-]{43}; /);
    expect(header).toContain('; HttpOnly');
    expect(header).toContain('; SameSite=Strict');
    expect(header).toContain('; Path=/api/v1/auth');
    expect(header).toContain('; Max-Age=2592000');
    expect(header).not.toContain('Secure');
    expect(cookie).toMatch(/^auth_refresh=/);
  });

  it('should set the cookie at registration in cookie mode too', async () => {
    const response = await test.http
      .post('/api/v1/auth/register')
      .set(COOKIE_MODE)
      .send({ email: uniqueEmail(), password: PASSWORD });

    expect(response.status).toBe(201);
    expect(response.body.refreshToken).toBeUndefined();
    expect(refreshCookie(response.headers['set-cookie'])).toBeDefined();
  });

  it('should refresh from the cookie, rotate it, and spend the old one', async () => {
    const { cookie } = await loginInCookieMode();

    const refreshed = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).send({});

    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).toBeUndefined();
    const next = refreshCookie(refreshed.headers['set-cookie'])!.split(';')[0];
    expect(next).not.toBe(cookie);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(refreshed.body.accessToken))).status).toBe(200);
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).send({})).status).toBe(401);
  });

  it('should refuse a cookie refresh from another origin, and accept this origin and APP_URL', async () => {
    const { cookie } = await loginInCookieMode();
    const call = (origin: string) =>
      test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).set('Origin', origin).send({});

    const evil = await call('https://evil.example');
    const lookalike = await call(`https://${new URL(test.url).host}.evil.example`);

    expect(evil.status).toBe(403);
    expect(lookalike.status).toBe(403);
    const own = await call(new URL(test.url).origin);
    expect(own.status).toBe(200);
    const nextCookie = refreshCookie(own.headers['set-cookie'])!.split(';')[0];
    expect(
      (
        await test.http
          .post('/api/v1/auth/refresh')
          .set(COOKIE_MODE)
          .set('Cookie', nextCookie)
          .set('Origin', TEST_APP_URL)
          .send({})
      ).status,
    ).toBe(200);
  });

  it('should not use the cookie without the custom header: a cross-site form post can neither refresh nor log out', async () => {
    const { cookie, response } = await loginInCookieMode();
    const form = 'refreshToken=';

    const formRefresh = await test.http
      .post('/api/v1/auth/refresh')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send(form);
    const formLogout = await test.http
      .post('/api/v1/auth/logout')
      .set('Cookie', cookie)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send(form);
    const noHeader = await test.http.post('/api/v1/auth/refresh').set('Cookie', cookie).send({});

    expect(formRefresh.status).toBe(415);
    expect(formLogout.status).toBe(415);
    expect(noHeader.status).toBe(400);
    expect(refreshCookie(noHeader.headers['set-cookie'])).toBeUndefined();
    expect((await test.http.get('/api/v1/auth/me').set(bearer(response.body.accessToken))).status).toBe(200);
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).send({})).status).toBe(200);
  });

  it('should clear the cookie on logout, and the session’s refresh token stops working', async () => {
    const { cookie, response } = await loginInCookieMode();

    const logout = await test.http
      .post('/api/v1/auth/logout')
      .set(bearer(response.body.accessToken))
      .set(COOKIE_MODE)
      .set('Cookie', cookie);

    expect(logout.status).toBe(204);
    expect(refreshCookie(logout.headers['set-cookie'])).toMatch(
      /^auth_refresh=; Path=\/api\/v1\/auth; Max-Age=0; HttpOnly; SameSite=Strict/,
    );
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).send({})).status).toBe(401);
  });

  it('should answer 401 in cookie mode without a cookie, and ignore a malformed one', async () => {
    const missing = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).send({});
    const malformed = await test.http
      .post('/api/v1/auth/refresh')
      .set(COOKIE_MODE)
      .set('Cookie', 'auth_refresh=%E0%A4%A')
      .send({});

    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe('refresh_token_missing');
    expect(malformed.status).toBe(401);
    expect(malformed.body.code).toBe('refresh_token_invalid');
  });

  it('should take a refreshToken sent as null for a token, not fall back to the cookie: 401 and the cookie unspent', async () => {
    const { cookie } = await loginInCookieMode();

    const inCookieMode = await test.http
      .post('/api/v1/auth/refresh')
      .set(COOKIE_MODE)
      .set('Cookie', cookie)
      .send({ refreshToken: null });
    const inBodyMode = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: null });
    const withTheCookie = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).send({});

    expect([inCookieMode.status, inCookieMode.body.code]).toEqual([401, 'refresh_token_invalid']);
    expect([inBodyMode.status, inBodyMode.body.code]).toEqual([401, 'refresh_token_invalid']);
    expect(withTheCookie.status).toBe(200);
  });

  it('should refuse a refresh with two refresh cookies (one tossed by a sibling subdomain) and spend neither', async () => {
    const victim = await loginInCookieMode();
    const planted = await loginInCookieMode();

    for (const cookies of [`${planted.cookie}; ${victim.cookie}`, `${victim.cookie}; other=1; ${planted.cookie}`]) {
      const response = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookies).send({});

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('bad_request');
      expect(refreshCookie(response.headers['set-cookie'])).toBeUndefined();
    }
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', victim.cookie).send({})).status).toBe(
      200,
    );
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', planted.cookie).send({})).status).toBe(
      200,
    );
  });

  it('should refuse logout and logout-all with two refresh cookies, ending no session', async () => {
    const victim = await loginInCookieMode();
    const planted = await loginInCookieMode();
    const cookies = `${planted.cookie}; ${victim.cookie}`;
    const accessToken = victim.response.body.accessToken as string;

    const logout = await test.http.post('/api/v1/auth/logout').set(bearer(accessToken)).set(COOKIE_MODE).set('Cookie', cookies);
    const logoutAll = await test.http
      .post('/api/v1/auth/logout-all')
      .set(bearer(accessToken))
      .set(COOKIE_MODE)
      .set('Cookie', cookies);

    expect([logout.status, logout.body.code]).toEqual([400, 'bad_request']);
    expect([logoutAll.status, logoutAll.body.code]).toEqual([400, 'bad_request']);
    expect(refreshCookie(logout.headers['set-cookie'])).toBeUndefined();
    expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', victim.cookie).send({})).status).toBe(
      200,
    );
  });
});

describe('refresh cookie in production (e2e)', () => {
  it('should use a __Host- cookie (Secure, Path=/, no Domain) and ignore a plain auth_refresh one a sibling could plant', async () => {
    const test = await startTestApp({ env: { NODE_ENV: 'production', MAIL_TRANSPORT: 'outbox' } });
    try {
      const { email } = await registerUser(test);
      const login = () => test.http.post('/api/v1/auth/login').set(COOKIE_MODE).send({ email, password: PASSWORD });
      const response = await login();

      const header = refreshCookie(response.headers['set-cookie'], '__Host-auth_refresh')!;
      expect(header).toMatch(
        /^__Host-auth_refresh=[0-9a-f-]{36}\.[\w-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict; Secure$/,
      );
      expect(refreshCookie(response.headers['set-cookie'])).toBeUndefined();
      const cookie = header.split(';')[0];
      const planted = `auth_refresh=${cookie.slice(cookie.indexOf('=') + 1)}`;
      const other = (await login()).headers['set-cookie'];
      const second = refreshCookie(other, '__Host-auth_refresh')!.split(';')[0];

      const plain = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', planted).send({});
      const twice = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', `${second}; ${cookie}`).send({});
      const own = await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', `${planted}; ${cookie}`).send({});

      expect([plain.status, plain.body.code]).toEqual([401, 'refresh_token_missing']);
      expect([twice.status, twice.body.code]).toEqual([400, 'bad_request']);
      expect(own.status).toBe(200);
      expect(refreshCookie(own.headers['set-cookie'], '__Host-auth_refresh')).toContain('; Path=/;');
    } finally {
      await test.close();
    }
  });
});
