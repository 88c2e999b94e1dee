import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, PASSWORD, registerUser, uniqueEmail } from './support/factories.js';
import { startTestApp, TEST_APP_URL, type TestApp } from './support/test-app.js';

const COOKIE_MODE = { 'X-Token-Transport': 'cookie' };

function refreshCookie(setCookie: string[] | string | undefined): string | undefined {
  const header = [setCookie ?? []].flat().find((value) => value.startsWith('auth_refresh='));
  return header;
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
    const response = await test.http.post('/api/v1/auth/register').set(COOKIE_MODE).send({ email: uniqueEmail(), password: PASSWORD });

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
    const call = (origin: string) => test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).set('Origin', origin).send({});

    const evil = await call('https://evil.example');
    const lookalike = await call(`https://${new URL(test.url).host}.evil.example`);

    expect(evil.status).toBe(403);
    expect(lookalike.status).toBe(403);
    const own = await call(new URL(test.url).origin);
    expect(own.status).toBe(200);
    const nextCookie = refreshCookie(own.headers['set-cookie'])!.split(';')[0];
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', nextCookie).set('Origin', TEST_APP_URL).send({})).status).toBe(200);
  });

  it('should not use the cookie without the custom header: a cross-site form post can neither refresh nor log out', async () => {
    const { cookie, response } = await loginInCookieMode();
    const form = 'refreshToken=';

    const formRefresh = await test.http.post('/api/v1/auth/refresh').set('Cookie', cookie).set('Origin', 'https://evil.example').type('form').send(form);
    const formLogout = await test.http.post('/api/v1/auth/logout').set('Cookie', cookie).set('Origin', 'https://evil.example').type('form').send(form);
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

    const logout = await test.http.post('/api/v1/auth/logout').set(bearer(response.body.accessToken)).set(COOKIE_MODE).set('Cookie', cookie);

    expect(logout.status).toBe(204);
    expect(refreshCookie(logout.headers['set-cookie'])).toMatch(/^auth_refresh=; Path=\/api\/v1\/auth; Max-Age=0; HttpOnly; SameSite=Strict/);
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', cookie).send({})).status).toBe(401);
  });

  it('should answer 401 in cookie mode without a cookie, and ignore a malformed one', async () => {
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).send({})).status).toBe(401);
    expect((await test.http.post('/api/v1/auth/refresh').set(COOKIE_MODE).set('Cookie', 'auth_refresh=%E0%A4%A').send({})).status).toBe(401);
  });
});

describe('refresh cookie in production (e2e)', () => {
  it('should mark the cookie Secure', async () => {
    const test = await startTestApp({ env: { NODE_ENV: 'production' } });
    try {
      const { email } = await registerUser(test);
      const response = await test.http.post('/api/v1/auth/login').set(COOKIE_MODE).send({ email, password: PASSWORD });

      expect(refreshCookie(response.headers['set-cookie'])).toContain('; Secure');
    } finally {
      await test.close();
    }
  });
});
