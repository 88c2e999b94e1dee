import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShutdownState } from '../src/health/shutdown-state.js';
import { expectErrorShape } from './support/factories.js';
import { freezableRelay } from './support/frozen-relay.js';
import { outage } from './support/outage.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('readiness (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp();
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should answer 200 when the database answers and every migration is applied, on /health/ready and /health', async () => {
    for (const path of ['/health/ready', '/health']) {
      const response = await test.http.get(path);

      expect(response.status, path).toBe(200);
      expect(response.body, path).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, migrations: { status: 'up' } },
      });
      expect(response.body.info.redis, path).toBeUndefined();
    }
  });

  it('should answer 503 naming the database while it is down, and 200 again once it is back', async () => {
    const cut = outage(test);

    await cut.begin();
    try {
      const response = await test.http.get('/health/ready');

      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'service_unavailable',
        message: 'Unhealthy: database is down',
      });
      expect((await test.http.get('/health/live')).status).toBe(200);
    } finally {
      await cut.end();
    }

    await expect.poll(async () => (await test.http.get('/health/ready')).status, { timeout: 10_000, interval: 200 }).toBe(200);
  });

  // Last: a shutdown cannot be taken back.
  it('should answer 503 shutting_down from the moment the shutdown begins, while liveness stays 200', async () => {
    test.app.get(ShutdownState).stop();

    for (const path of ['/health/ready', '/health']) {
      const response = await test.http.get(path);

      expect(response.status, path).toBe(503);
      expectErrorShape(response.body, 503);
      expect(response.body.code, path).toBe('shutting_down');
      expect(response.headers['cache-control'], path).toBe('no-store');
    }
    expect((await test.http.get('/health/live')).status).toBe(200);
  });
});

describe.runIf(process.env.REDIS_URL)('readiness with Redis (e2e)', () => {
  it('should answer 503 naming redis while the configured Redis is unreachable, and 200 again once it is back', async () => {
    const target = new URL(process.env.REDIS_URL!);
    const relay = await freezableRelay(target.hostname, Number(target.port || 6379));
    const test = await startTestApp({
      env: {
        RATE_LIMIT: 'on',
        REDIS_URL: `redis://127.0.0.1:${relay.port}`,
        REDIS_PREFIX: `ready-${randomBytes(4).toString('hex')}:`,
        REDIS_TIMEOUT_MS: '500',
      },
    });
    try {
      const ready = await test.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info.redis).toEqual({ status: 'up' });

      relay.cut();
      const down = await test.http.get('/health/ready');

      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'service_unavailable',
        message: 'Unhealthy: redis is down',
      });

      await relay.restore();
      await expect.poll(async () => (await test.http.get('/health/ready')).status, { timeout: 10_000, interval: 200 }).toBe(200);
    } finally {
      await test.close();
      await relay.close().catch(() => undefined);
    }
  });
});
