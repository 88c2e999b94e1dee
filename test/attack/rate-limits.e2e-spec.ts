import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, expectErrorShape, login, PASSWORD, registerUser, uniqueEmail } from '../support/factories.js';
import { decodeJwt } from '../support/jwt.js';
import { createTestDatabase, startTestApp, type TestApp } from '../support/test-app.js';

/** In memory always; in Redis when REDIS_URL is set (CI sets it: Redis runs on 127.0.0.1:6379). */
const STORES = [
  { store: 'memory', env: {} as Record<string, string> },
  ...(process.env.REDIS_URL ? [{ store: 'redis', env: { REDIS_URL: process.env.REDIS_URL } }] : []),
];

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(STORES)('attack: rate limits and lockout, counters in $store (e2e)', ({ env: storeEnv }) => {
  const apps: TestApp[] = [];
  const start = async (
    env: Record<string, string>,
    options: { database?: Awaited<ReturnType<typeof createTestDatabase>> } = {},
  ) => {
    const app = await startTestApp({
      ...options,
      env: { ...storeEnv, REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}:`, RATE_LIMIT: 'on', ...env },
    });
    apps.push(app);
    return app;
  };
  const loginAttempt = (test: TestApp, email: string, password: string, ip?: string) => {
    const call = test.http.post('/api/v1/auth/login').send({ email, password });
    return ip ? call.set('X-Forwarded-For', ip) : call;
  };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('should answer 429 with Retry-After past the per-IP login limit', async () => {
    const test = await start({ RATE_LIMIT_LOGIN_IP: '3/1m' });

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await loginAttempt(test, uniqueEmail(), 'wrong password')).status);
    const limited = await loginAttempt(test, uniqueEmail(), 'wrong password');

    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(limited.status).toBe(429);
    expectErrorShape(limited.body, 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body.message).toMatch(/^Too many requests; try again in \d+ seconds$/);
  });

  it('should limit attempts on one account from many addresses (behind a trusted proxy)', async () => {
    const test = await start({
      TRUST_PROXY: 'true',
      RATE_LIMIT_LOGIN_IP: '100/1m',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/1m',
      LOCKOUT_THRESHOLD: '100',
    });
    const email = uniqueEmail('target');

    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await loginAttempt(test, email, 'wrong password', `198.51.100.${i + 1}`)).status);

    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await loginAttempt(test, uniqueEmail(), 'wrong password', '198.51.100.9')).status).toBe(401);
  });

  it('should not let X-Forwarded-For pick the client address unless TRUST_PROXY is set', async () => {
    const test = await start({ RATE_LIMIT_LOGIN_IP: '2/1m' });

    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await loginAttempt(test, uniqueEmail(), 'wrong password', `203.0.113.${i + 1}`)).status);

    expect(statuses).toEqual([401, 401, 429]);
  });

  it('should apply a global limit on every route', async () => {
    const test = await start({ RATE_LIMIT_GLOBAL: '5/1m' });

    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await test.http.post('/api/v1/auth/login').send({ email: uniqueEmail(), password: 'x' })).status);

    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await test.http.get('/api/v1/auth/me')).status).toBe(429);
    expect((await test.http.get('/health')).status).toBe(200);
  });

  it('should limit registrations, refreshes and forgot-password requests', async () => {
    const test = await start({
      RATE_LIMIT_REGISTER_IP: '2/10m',
      RATE_LIMIT_REFRESH_ACCOUNT: '2/1m',
      RATE_LIMIT_FORGOT_ACCOUNT: '2/15m',
    });
    const { email, refreshToken } = await registerUser(test);
    await registerUser(test);

    expect((await test.http.post('/api/v1/auth/register').send({ email: uniqueEmail(), password: PASSWORD })).status).toBe(429);
    const refreshes = [];
    let token = refreshToken;
    for (let i = 0; i < 3; i++) {
      const response = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: token });
      refreshes.push(response.status);
      if (response.status === 200) token = response.body.refreshToken;
    }
    const forgots = [];
    for (let i = 0; i < 3; i++) forgots.push((await test.http.post('/api/v1/auth/password/forgot').send({ email })).status);

    expect(refreshes).toEqual([200, 200, 429]);
    expect(forgots).toEqual([202, 202, 429]);
  });

  it('should count forged refresh tokens against their sender, not against the session they name', async () => {
    const test = await start({ TRUST_PROXY: 'true', RATE_LIMIT_REFRESH_ACCOUNT: '20/1m', RATE_LIMIT_REFRESH_IP: '120/1m' });
    const victim = await registerUser(test);
    const sid = decodeJwt(victim.accessToken).payload.sid as string;
    const refresh = (refreshToken: string, ip: string) =>
      test.http.post('/api/v1/auth/refresh').set('X-Forwarded-For', ip).send({ refreshToken });

    const forged = [];
    for (let i = 0; i < 25; i++)
      forged.push((await refresh(`${sid}.${randomBytes(32).toString('base64url')}`, '203.0.113.66')).status);
    const genuine = await refresh(victim.refreshToken, '198.51.100.20');

    expect(forged).toEqual([...Array<number>(20).fill(401), ...Array<number>(5).fill(429)]);
    expect(genuine.status).toBe(200);
    expect((await refresh(genuine.body.refreshToken, '203.0.113.66')).status).toBe(429);
  });

  it('should count a cookie-mode refresh against the session whose cookie was spent, not a decoy cookie of another name', async () => {
    const test = await start({ RATE_LIMIT_REFRESH_ACCOUNT: '3/1m', RATE_LIMIT_REFRESH_IP: '120/1m' });
    const victim = await registerUser(test);
    const decoy = `__Host-auth_refresh=${decodeJwt(victim.accessToken).payload.sid as string}.${randomBytes(32).toString('base64url')}`;
    let own = (await registerUser(test)).refreshToken;

    const attacker = [];
    for (let i = 0; i < 3; i++) {
      const response = await test.http
        .post('/api/v1/auth/refresh')
        .set('X-Token-Transport', 'cookie')
        .set('Cookie', `${decoy}; auth_refresh=${own}`)
        .send({});
      attacker.push(response.status);
      own = decodeURIComponent(/auth_refresh=([^;]+)/.exec(String(response.headers['set-cookie']))?.[1] ?? '');
    }
    const genuine = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: victim.refreshToken });

    expect(attacker).toEqual([200, 200, 200]);
    expect(genuine.status).toBe(200);
  });

  it('should not count logins refused by validation against the account', async () => {
    const test = await start({ RATE_LIMIT_LOGIN_ACCOUNT: '3/1m', RATE_LIMIT_LOGIN_IP: '100/1m' });
    const { email } = await registerUser(test);

    const refused = [];
    for (let i = 0; i < 5; i++)
      refused.push((await test.http.post('/api/v1/auth/login').send({ email, password: 'x'.repeat(73) })).body.code);
    const accepted = await test.http.post('/api/v1/auth/login').send({ email, password: PASSWORD });

    expect(refused).toEqual(Array<string>(5).fill('validation_failed'));
    expect(accepted.status).toBe(200);
  });

  it('should not count cookie-mode refreshes without a cookie (a signed-out page asking) as forgeries', async () => {
    const test = await start({ RATE_LIMIT_REFRESH_ACCOUNT: '5/1m', RATE_LIMIT_REFRESH_IP: '120/1m' });
    const { refreshToken } = await registerUser(test);

    const signedOut = [];
    for (let i = 0; i < 8; i++)
      signedOut.push((await test.http.post('/api/v1/auth/refresh').set('X-Token-Transport', 'cookie').send({})).body.code);
    const genuine = await test.http.post('/api/v1/auth/refresh').send({ refreshToken });

    expect(signedOut).toEqual(Array<string>(8).fill('refresh_token_missing'));
    expect(genuine.status).toBe(200);
  });

  it('should not count registrations refused by validation or the password policy against the email, only against the address', async () => {
    const test = await start({ RATE_LIMIT_REGISTER_ACCOUNT: '3/10m', RATE_LIMIT_REGISTER_IP: '6/10m' });
    const email = uniqueEmail('newcomer');
    const register = (body: Record<string, unknown>) => test.http.post('/api/v1/auth/register').send({ email, ...body });

    const refused = [];
    for (const body of [
      { password: 'password' },
      { password: email },
      { password: 'short' },
      { password: PASSWORD, roles: ['admin'] },
      { password: 'qwertyuiop' },
    ]) {
      refused.push((await register(body)).status);
    }
    const accepted = await register({ password: PASSWORD });

    expect(refused).toEqual([400, 400, 400, 400, 400]);
    expect(accepted.status).toBe(201);
    expect((await test.http.post('/api/v1/auth/register').send({ email: uniqueEmail(), password: PASSWORD })).status).toBe(429);
  });

  it('should not count password changes refused by validation or the password policy against the account', async () => {
    const test = await start({ RATE_LIMIT_LOGIN_ACCOUNT: '10/1m', RATE_LIMIT_LOGIN_IP: '100/1m' });
    const { email, accessToken } = await registerUser(test);
    const change = (newPassword: string) =>
      test.http.post('/api/v1/auth/password/change').set(bearer(accessToken)).send({ currentPassword: PASSWORD, newPassword });

    const refused = [];
    for (const newPassword of [
      'password',
      email,
      PASSWORD,
      'short',
      'password',
      email,
      PASSWORD,
      'short',
      'qwertyuiop',
      'password',
      email,
    ]) {
      refused.push((await change(newPassword)).status);
    }
    const accepted = await change('a new correct horse battery staple');

    expect(refused).toEqual(Array<number>(11).fill(400));
    expect(accepted.status).toBe(204);
  });

  it('should lock an account after the threshold, refuse even the right password while locked, and grow the wait', async () => {
    const test = await start({ LOCKOUT_THRESHOLD: '3', LOCKOUT_BASE: '1s', LOCKOUT_MAX: '4s' });
    const { email } = await registerUser(test);

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await loginAttempt(test, email, 'wrong password')).status);
    const locked = await loginAttempt(test, email, PASSWORD);

    expect(statuses).toEqual([401, 401, 401]);
    expect(locked.status).toBe(429);
    expect(locked.body.message).toMatch(/^Too many failed password attempts for this account; try again in \d+ seconds$/);
    expect(locked.headers['retry-after']).toBe('1');
    expect((await loginAttempt(test, email, 'wrong password')).body).toEqual(locked.body);

    await pause(1_100);
    expect((await loginAttempt(test, email, 'wrong password')).status).toBe(401);
    const longer = await loginAttempt(test, email, PASSWORD);
    expect(longer.status).toBe(429);
    expect(longer.headers['retry-after']).toBe('2');

    await pause(2_100);
    await login(test, email);
    expect((await loginAttempt(test, email, 'wrong password')).status).toBe(401);
    expect((await loginAttempt(test, email, PASSWORD)).status).toBe(200);
  });

  it('should lock an unknown email exactly like a real one', async () => {
    const test = await start({ LOCKOUT_THRESHOLD: '2', LOCKOUT_BASE: '1m' });
    const { email } = await registerUser(test);
    const unknown = uniqueEmail('ghost');

    for (const target of [email, unknown]) {
      await loginAttempt(test, target, 'wrong password').expect(401);
      await loginAttempt(test, target, 'wrong password').expect(401);
    }
    const real = await loginAttempt(test, email, PASSWORD);
    const ghost = await loginAttempt(test, unknown, PASSWORD);

    expect(real.status).toBe(429);
    expect(ghost.status).toBe(429);
    expect(ghost.body).toEqual(real.body);
  });

  it('should count every one of many parallel wrong-password logins: no extra guess slips through', async () => {
    const test = await start({
      LOCKOUT_THRESHOLD: '5',
      LOCKOUT_BASE: '1m',
      RATE_LIMIT_LOGIN_IP: '1000/1m',
      RATE_LIMIT_LOGIN_ACCOUNT: '1000/1m',
    });
    const { email } = await registerUser(test);

    const responses = await Promise.all(Array.from({ length: 20 }, () => loginAttempt(test, email, 'wrong password')));
    const statuses = responses.map((r) => r.status);

    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it('should turn every limit and the lockout off with RATE_LIMIT=off', async () => {
    const test = await start({ RATE_LIMIT: 'off', RATE_LIMIT_LOGIN_IP: '1/1m', LOCKOUT_THRESHOLD: '1' });
    const { email } = await registerUser(test);

    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await loginAttempt(test, email, 'wrong password')).status);

    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect((await loginAttempt(test, email, PASSWORD)).status).toBe(200);
  });

  it('should not count a caller’s authenticated requests against another caller', async () => {
    const test = await start({ RATE_LIMIT_VERIFY_ACCOUNT: '1/15m', RATE_LIMIT_VERIFY_IP: '100/15m' });
    const first = await registerUser(test);
    const second = await registerUser(test);

    expect((await test.http.post('/api/v1/auth/email/verify/request').set(bearer(first.accessToken))).status).toBe(202);
    expect((await test.http.post('/api/v1/auth/email/verify/request').set(bearer(first.accessToken))).status).toBe(429);
    expect((await test.http.post('/api/v1/auth/email/verify/request').set(bearer(second.accessToken))).status).toBe(202);
  });
});

describe.runIf(process.env.REDIS_URL)('attack: limits shared through Redis by two instances (e2e)', () => {
  it('should count requests to both instances together', async () => {
    const database = await createTestDatabase();
    const env = {
      REDIS_URL: process.env.REDIS_URL!,
      REDIS_PREFIX: `shared-${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT: 'on',
      RATE_LIMIT_LOGIN_IP: '3/1m',
    };
    const first = await startTestApp({ database, env });
    try {
      const embeddedOnly = !database.url;
      const second = embeddedOnly ? first : await startTestApp({ database, env });
      try {
        const statuses = [];
        for (const app of [first, second, first, second])
          statuses.push(
            (await app.http.post('/api/v1/auth/login').send({ email: uniqueEmail(), password: 'wrong password' })).status,
          );
        expect(statuses).toEqual([401, 401, 401, 429]);
      } finally {
        if (second !== first) await second.close();
      }
    } finally {
      await first.close();
      await database.drop();
    }
  });
});
