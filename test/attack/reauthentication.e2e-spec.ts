import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const WRONG = 'not the password at all';

describe('attack: password guessing through the re-authentication routes (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      env: {
        RATE_LIMIT: 'on',
        REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
        // Only the lockout is under test: the request limits stay out of the way.
        RATE_LIMIT_LOGIN_IP: '1000/1m',
        RATE_LIMIT_LOGIN_ACCOUNT: '1000/1m',
        RATE_LIMIT_VERIFY_IP: '1000/1m',
        RATE_LIMIT_VERIFY_ACCOUNT: '1000/1m',
        RATE_LIMIT_REGISTER_IP: '1000/1m',
        RATE_LIMIT_REGISTER_ACCOUNT: '1000/1m',
        LOCKOUT_THRESHOLD: '4',
        LOCKOUT_BASE: '1m',
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  const guesses = (accessToken: string, password: string) => ({
    change: () =>
      test.http
        .post('/api/v1/auth/password/change')
        .set(bearer(accessToken))
        .send({ currentPassword: password, newPassword: 'a brand new passphrase' }),
    remove: () => test.http.delete('/api/v1/users/me').set(bearer(accessToken)).send({ password }),
    email: () => test.http.post('/api/v1/users/me/email').set(bearer(accessToken)).send({ newEmail: uniqueEmail(), password }),
  });
  const loginAttempt = (email: string, password: string) => test.http.post('/api/v1/auth/login').send({ email, password });

  it('should lock the account after wrong passwords on the password change, deletion and email change routes, login included', async () => {
    const { email, accessToken } = await registerUser(test);
    const wrong = guesses(accessToken, WRONG);

    const statuses = [
      (await wrong.change()).status,
      (await wrong.remove()).status,
      (await wrong.email()).status,
      (await wrong.change()).status,
    ];
    const locked = await loginAttempt(email, PASSWORD);
    const right = guesses(accessToken, PASSWORD);

    expect(statuses).toEqual([403, 403, 403, 403]);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('account_locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    for (const attempt of [right.change, right.remove, right.email]) {
      const response = await attempt();
      expect(response.status).toBe(429);
      expect(response.body).toEqual(locked.body);
    }
    expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
  });

  it('should count login failures and re-authentication failures together', async () => {
    const { email, accessToken } = await registerUser(test);
    const wrong = guesses(accessToken, WRONG);

    await loginAttempt(email, WRONG).expect(401);
    await wrong.email().expect(403);
    await loginAttempt(email, WRONG).expect(401);
    await wrong.remove().expect(403);

    expect((await loginAttempt(email, PASSWORD)).status).toBe(429);
  });

  it('should clear the count on a right password, as a successful login does', async () => {
    const { email, accessToken } = await registerUser(test);
    const wrong = guesses(accessToken, WRONG);

    for (let i = 0; i < 3; i++) await wrong.change().expect(403);
    await guesses(accessToken, PASSWORD).email().expect(202);
    for (let i = 0; i < 3; i++) await loginAttempt(email, WRONG).expect(401);

    await login(test, email);
  });
});
