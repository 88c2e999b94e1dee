import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { bearer, expectErrorShape, login, registerUser } from './support/factories.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const ADMIN = { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'an admin password' };

describe('admins and second factors (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { ...ADMIN, REQUIRE_MFA_FOR_ADMINS: 'true' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should say in amr that a password login was proven by the password alone, after a refresh too', async () => {
    const user = await registerUser(test);
    expect(decodeJwt(user.accessToken).amr).toEqual(['pwd']);
    const refreshed = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: user.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt((refreshed.body as { accessToken: string }).accessToken).amr).toEqual(['pwd']);
  });

  it('should refuse admin routes to an admin signed in with a password alone, with REQUIRE_MFA_FOR_ADMINS', async () => {
    const admin = await login(test, ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
    const refused = await test.http.get('/api/v1/users').set(bearer(admin.accessToken));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'mfa_setup_required' });
    expectErrorShape(refused.body, 403);
    // The admin's own account routes still answer, so a second factor can be set up.
    expect((await test.http.get('/api/v1/auth/me').set(bearer(admin.accessToken))).status).toBe(200);
  });

  it('should keep answering a non-admin 403 forbidden, not mfa_setup_required', async () => {
    const user = await registerUser(test);
    const refused = await test.http.get('/api/v1/users').set(bearer(user.accessToken));
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden' });
  });

  it('should let a password-only admin session through when the setting is off (the default)', async () => {
    // Its own app, started last: passport keeps one strategy per name in the process, so the app
    // started last authenticates every app's requests.
    const relaxed = await startTestApp({ env: { ...ADMIN } });
    try {
      const admin = await login(relaxed, ADMIN.ADMIN_EMAIL, ADMIN.ADMIN_PASSWORD);
      expect((await relaxed.http.get('/api/v1/users').set(bearer(admin.accessToken))).status).toBe(200);
    } finally {
      await relaxed.close();
    }
  });
});
