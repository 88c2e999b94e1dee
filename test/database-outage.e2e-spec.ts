import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { bearer, expectErrorShape, registerUser, uniqueEmail } from './support/factories.js';
import { freezableRelay, type FreezableRelay } from './support/frozen-relay.js';
import { outage } from './support/outage.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('database outage (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should answer 503 while the database is down, issue no token, and recover by itself', async () => {
    const { email, password, accessToken, refreshToken } = await registerUser(test);
    const cut = outage(test);

    await cut.begin();
    try {
      const health = await test.http.get('/health');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'service_unavailable',
        message: 'Unhealthy: database is down',
      });

      const login = await test.http.post('/api/v1/auth/login').send({ email, password });
      expect(login.status).toBe(503);
      expectErrorShape(login.body, 503);
      expect(login.body.accessToken).toBeUndefined();

      const me = await test.http.get('/api/v1/auth/me').set(bearer(accessToken));
      expect(me.status).toBe(503);
      expectErrorShape(me.body, 503);

      // Refresh runs its statement straight on the driver's pool: the same answer, and nothing spent.
      const refresh = await test.http.post('/api/v1/auth/refresh').send({ refreshToken });
      expect(refresh.status).toBe(503);
      expectErrorShape(refresh.body, 503);
      expect(refresh.body.accessToken).toBeUndefined();
    } finally {
      await cut.end();
    }

    await expect.poll(async () => (await test.http.get('/health')).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect((await test.http.post('/api/v1/auth/login').send({ email, password })).status).toBe(200);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(200);
  });
});

/** A relay in front of the test Redis. */
function redisRelay(): Promise<FreezableRelay> {
  const target = new URL(process.env.REDIS_URL!);
  return freezableRelay(target.hostname, Number(target.port || 6379));
}

/** Times one request. */
async function timed<T>(request: PromiseLike<T>): Promise<{ response: T; ms: number }> {
  const started = performance.now();
  const response = await request;
  return { response, ms: performance.now() - started };
}

describe.runIf(process.env.REDIS_URL)('redis outage (e2e)', () => {
  const startWithRelay = async (relay: FreezableRelay) =>
    startTestApp({
      env: {
        RATE_LIMIT: 'on',
        REDIS_URL: `redis://127.0.0.1:${relay.port}`,
        REDIS_PREFIX: `outage-${randomBytes(4).toString('hex')}:`,
        REDIS_TIMEOUT_MS: '500',
      },
    });
  const fallbackLines = (warn: MockInstance) =>
    warn.mock.calls.filter(([message]) => /count in this instance's memory/.test(String(message)));

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('should keep serving with memory counters, name redis in /health while it is unreachable, and go back to it by itself', async () => {
    const relay = await redisRelay();
    const test = await startWithRelay(relay);
    try {
      const { email, password, accessToken } = await registerUser(test);

      relay.cut();
      const health = await test.http.get('/health');
      expect(health.status).toBe(503);
      expect(health.body.message).toBe('Unhealthy: redis is down');
      const login = await test.http.post('/api/v1/auth/login').send({ email, password });
      expect(login.status).toBe(200);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);

      await relay.restore();
      await expect.poll(async () => (await test.http.get('/health')).status, { timeout: 10_000, interval: 200 }).toBe(200);
      expect((await test.http.post('/api/v1/auth/login').send({ email, password })).status).toBe(200);
    } finally {
      await test.close();
      await relay.close().catch(() => undefined);
    }
  });

  it('should answer within the Redis timeout while Redis hangs, log the fallback once, and still limit in memory', async () => {
    const relay = await redisRelay();
    const test = await startWithRelay(relay);
    const warn = vi.spyOn(Logger.prototype, 'warn');
    try {
      const { email, password, accessToken } = await registerUser(test);
      warn.mockClear();

      relay.freeze();
      // A request still waiting after 5 s fails the test instead of holding it until its own timeout; a
      // hung Redis would hold each one that long, while the deadline plus a loaded machine stays well under 4 s.
      const answers = [
        await timed(test.http.get('/api/v1/auth/me').set(bearer(accessToken)).timeout(5000)),
        await timed(test.http.post('/api/v1/auth/login').send({ email, password }).timeout(5000)),
        await timed(test.http.post('/api/v1/auth/register').send({ email: uniqueEmail(), password }).timeout(5000)),
        await timed(test.http.get('/api/v1/auth/me').set(bearer(accessToken)).timeout(5000)),
      ];
      const health = await timed(test.http.get('/health').timeout(5000));
      const locked = [];
      for (let i = 0; i < 6; i++)
        locked.push((await test.http.post('/api/v1/auth/login').send({ email, password: 'wrong password' })).status);

      expect(answers.map(({ response }) => response.status)).toEqual([200, 200, 201, 200]);
      for (const { ms } of answers) expect(ms).toBeLessThan(4000);
      expect(health.response.status).toBe(503);
      expect(health.response.body.message).toBe('Unhealthy: redis is down');
      expect(health.ms).toBeLessThan(4000);
      expect(locked).toEqual([401, 401, 401, 401, 401, 429]);
      expect(fallbackLines(warn)).toHaveLength(1);

      relay.thaw();
      await expect.poll(async () => (await test.http.get('/health')).status, { timeout: 10_000, interval: 200 }).toBe(200);
      expect((await test.http.get('/api/v1/auth/me').set(bearer(accessToken))).status).toBe(200);
      expect(fallbackLines(warn)).toHaveLength(1);
    } finally {
      relay.thaw();
      await test.close();
      await relay.close().catch(() => undefined);
    }
  });
});
