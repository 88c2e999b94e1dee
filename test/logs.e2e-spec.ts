import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, registerUser, uniqueEmail, type TokenBody } from './support/factories.js';
import { captureLogs, type CapturedLogs, type LogLine } from './support/logs.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the log (e2e)', () => {
  let test: TestApp;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs('info');
    test = await startTestApp({ logger: logs.logger });
  });

  afterAll(async () => {
    await test?.close();
  });

  const linesOf = (reqId: string) => logs.lines().filter((line) => line.reqId === reqId);
  const requestLine = (reqId: string) => linesOf(reqId).find((line) => line.msg === 'request completed');

  /** The request line is written once the answer has gone out: wait for it. */
  async function waitForRequestLine(reqId: string): Promise<LogLine> {
    await expect.poll(() => requestLine(reqId), { timeout: 5_000, interval: 20 }).toBeDefined();
    return requestLine(reqId)!;
  }

  it('should carry the X-Request-Id sent into the answer and every line of the request, a security event included', async () => {
    const { email } = await registerUser(test);
    const reqId = `trace-${randomUUID()}.1:a_b`;

    const response = await test.http
      .post('/api/v1/auth/login')
      .set('X-Request-Id', reqId)
      .send({ email, password: 'not the password' });

    expect(response.status).toBe(401);
    expect(response.headers['x-request-id']).toBe(reqId);
    const line = await waitForRequestLine(reqId);
    expect(line).toMatchObject({ level: 'info', method: 'POST', route: '/api/v1/auth/login', status: 401 });
    const failure = linesOf(reqId).find((entry) => entry.event === 'login_failure');
    expect(failure).toMatchObject({
      level: 'warn',
      context: 'Security',
      email: `${email[0]}***@example.com`,
      detail: { reason: 'wrong_password' },
    });
  });

  it('should carry the id into a security event logged when its transaction commits', async () => {
    const reqId = randomUUID();
    const response = await test.http
      .post('/api/v1/auth/register')
      .set('X-Request-Id', reqId)
      .send({ email: uniqueEmail(), password: 'correct horse battery staple' });

    expect(response.status).toBe(201);
    await waitForRequestLine(reqId);
    expect(linesOf(reqId).find((line) => line.event === 'register')).toMatchObject({
      level: 'info',
      userId: (response.body as TokenBody).user.id,
    });
  });

  it.each([
    ['spaces and markup', 'a b <script>'],
    ['a comma', 'one,two'],
    ['129 characters', 'x'.repeat(129)],
  ])('should replace a malformed X-Request-Id (%s) with a generated one, everywhere', async (_case, sent) => {
    const response = await test.http
      .post('/api/v1/auth/login')
      .set('X-Request-Id', sent)
      .send({ email: uniqueEmail(), password: 'nope' });

    expect(response.status).toBe(401);
    const reqId = String(response.headers['x-request-id']);
    expect(reqId).toMatch(UUID);
    await waitForRequestLine(reqId);
    expect(linesOf(reqId).map((line) => line.event ?? line.msg)).toEqual(['login_failure', 'request completed']);
    expect(logs.text()).not.toContain(sent);
  });

  it('should generate an id when none is sent', async () => {
    const response = await test.http.get('/health/live');
    expect(String(response.headers['x-request-id'])).toMatch(UUID);
  });

  it('should log one line per request with the method, the route pattern, the status, the duration and the caller', async () => {
    const user = await registerUser(test);
    const sessionId = randomUUID();

    const response = await test.http.delete(`/api/v1/auth/sessions/${sessionId}`).set(bearer(user.accessToken));

    expect(response.status).toBe(404);
    const line = await waitForRequestLine(String(response.headers['x-request-id']));
    expect(line).toMatchObject({
      level: 'info',
      method: 'DELETE',
      route: '/api/v1/auth/sessions/:id',
      status: 404,
      userId: user.user.id,
      durationMs: expect.any(Number),
    });
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(JSON.stringify(line)).not.toContain(sessionId);
  });

  it('should log no user id for an anonymous request', async () => {
    const response = await test.http.get('/api/v1/auth/me');
    expect(response.status).toBe(401);
    const line = await waitForRequestLine(String(response.headers['x-request-id']));
    expect(line).toMatchObject({ route: '/api/v1/auth/me', status: 401 });
    expect(line).not.toHaveProperty('userId');
  });

  it('should write no password, token, cookie, hash or full email through register, login, refresh, a failed login and a password change', async () => {
    const email = uniqueEmail('secretive');
    const password = 'first correct horse battery staple';
    const newPassword = 'second correct horse battery staple';
    const start = logs.lines().length;

    const registered = await registerUser(test, { email, password });
    const loggedIn = await login(test, email, password);
    const refreshed = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: loggedIn.refreshToken });
    expect(refreshed.status).toBe(200);
    const cookieLogin = await test.http.post('/api/v1/auth/login').set('X-Token-Transport', 'cookie').send({ email, password });
    expect(cookieLogin.status).toBe(200);
    const cookie = [cookieLogin.headers['set-cookie'] ?? []].flat().find((value: string) => value.startsWith('auth_refresh='));
    const cookieValue = cookie!.split(';')[0].slice('auth_refresh='.length);
    const cookieRefreshed = await test.http
      .post('/api/v1/auth/refresh')
      .set('X-Token-Transport', 'cookie')
      .set('Cookie', `auth_refresh=${cookieValue}`)
      .send({});
    expect(cookieRefreshed.status).toBe(200);
    const failed = await test.http.post('/api/v1/auth/login').send({ email, password: `${password}!` });
    expect(failed.status).toBe(401);
    const { rows } = await hashOf(registered.user.id);
    const changed = await test.http
      .post('/api/v1/auth/password/change')
      .set(bearer(loggedIn.accessToken))
      .send({ currentPassword: password, newPassword });
    expect(changed.status).toBe(204);
    const lastId = String(changed.headers['x-request-id']);
    await waitForRequestLine(lastId);

    const flow = logs.lines().slice(start);
    // The flow was logged: a line per request and the failed login, with the address masked.
    expect(flow.filter((line) => line.msg === 'request completed').map((line) => line.route)).toEqual([
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/auth/login',
      '/api/v1/auth/refresh',
      '/api/v1/auth/login',
      '/api/v1/auth/password/change',
    ]);
    expect(flow.find((line) => line.event === 'login_failure')).toMatchObject({ email: 's***@example.com' });
    expect(flow.find((line) => line.event === 'password_changed')).toMatchObject({ userId: registered.user.id });

    const text = logs.text();
    const secrets = {
      password,
      newPassword,
      wrongPassword: `${password}!`,
      email,
      hash: rows[0].password_hash,
      newHash: (await hashOf(registered.user.id)).rows[0].password_hash,
      cookieValue,
      tokens: [registered, loggedIn, refreshed.body as TokenBody].flatMap((body) => [body.accessToken, body.refreshToken]),
      cookieAccessTokens: [cookieLogin.body as TokenBody, cookieRefreshed.body as TokenBody].map((body) => body.accessToken),
    };
    for (const [name, values] of Object.entries(secrets)) {
      for (const value of [values].flat()) {
        expect(value, name).toEqual(expect.any(String));
        expect(value.length, name).toBeGreaterThan(8);
        expect(text.includes(value), `${name} in the log`).toBe(false);
      }
    }
  });

  function hashOf(userId: string): Promise<{ rows: Array<{ password_hash: string }> }> {
    return test.app
      .get(DataSource)
      .query<Array<{ password_hash: string }>>('SELECT password_hash FROM users WHERE id = $1', [userId])
      .then((rows) => ({ rows }));
  }
});

describe('security events in the log (e2e)', () => {
  const ADMIN_EMAIL = 'root-of-logs@example.com';
  const ADMIN_PASSWORD = 'an admin password nobody guesses';
  let test: TestApp;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs('info');
    test = await startTestApp({
      logger: logs.logger,
      env: {
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        RATE_LIMIT: 'on',
        RATE_LIMIT_LOGIN_IP: '100/1m',
        RATE_LIMIT_LOGIN_ACCOUNT: '100/1m',
        LOCKOUT_THRESHOLD: '2',
      },
    });
  });

  afterAll(async () => {
    await test?.close();
  });

  const eventOf = (response: { headers: Record<string, unknown> }, event: string) =>
    logs.lines().find((line) => line.reqId === response.headers['x-request-id'] && line.event === event);

  it('should log a refused attempt on a locked account at warn, with the address masked', async () => {
    const { email } = await registerUser(test);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' })).status).toBe(401);
    }

    const locked = await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' });

    expect(locked.status).toBe(429);
    expect(eventOf(locked, 'account_locked')).toMatchObject({
      level: 'warn',
      context: 'Security',
      email: `${email[0]}***@example.com`,
      retryAfterSeconds: expect.any(Number),
    });
    expect(logs.text()).not.toContain(email);
  });

  it('should log an admin disabling an account, naming the admin, and never the admin address in full', async () => {
    const user = await registerUser(test);
    const admin = await login(test, ADMIN_EMAIL, ADMIN_PASSWORD);

    const disabled = await test.http
      .patch(`/api/v1/users/${user.user.id}`)
      .set(bearer(admin.accessToken))
      .send({ disabled: true });

    expect(disabled.status).toBe(200);
    expect(eventOf(disabled, 'account_disabled')).toMatchObject({
      level: 'info',
      userId: user.user.id,
      detail: { by: admin.user.id },
    });
    expect(logs.lines().some((line) => line.msg === 'Created the admin account r***@example.com')).toBe(true);
    expect(logs.text()).not.toContain(ADMIN_EMAIL);
  });
});
