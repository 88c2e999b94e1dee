import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, registerUser, type TokenBody } from './support/factories.js';
import { decodeJwt } from './support/jwt.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const WINDOW_SECONDS = 3;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Holding a row lock needs a second connection to the app's database: a Postgres server, not embedded PGlite.
describe.skipIf(!process.env.DATABASE_URL)('refresh reuse window after a delayed rotation (e2e, Postgres server)', () => {
  let test: TestApp;
  let locker: pg.Client;

  beforeAll(async () => {
    // The statement timeout is set well above the hold, so the held refresh waits instead of failing.
    test = await startTestApp({ env: { JWT_REFRESH_REUSE_WINDOW: String(WINDOW_SECONDS), DATABASE_QUERY_TIMEOUT: '20' } });
    locker = new pg.Client({ connectionString: test.database.url });
    await locker.connect();
  });

  afterAll(async () => {
    await locker?.end();
    await test?.close();
  });

  /** Waits (bounded) until `count` statements on the app's database are queued behind a lock. */
  const lockWaiters = async (count: number) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await pause(50)) {
      // Inside the locking transaction the activity view would stay as first read.
      await locker.query('SELECT pg_stat_clear_snapshot()');
      const { rows } = await locker.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows[0].waiting >= count) return;
    }
    throw new Error(`fewer than ${count} statements waited for the session's row lock`);
  };

  it('should give a refresh held up past the window, and its retries, one successor and keep the session', async () => {
    const first = await registerUser(test);
    const sessionId = decodeJwt(first.accessToken).payload.sid as string;
    // Promise.resolve makes supertest send at once, not when the answer is awaited.
    const refresh = () => Promise.resolve(test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken }));

    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [sessionId]);
    const held = refresh();
    await lockWaiters(1);
    // The client gives up waiting and retries; the retry queues behind the first attempt.
    const retried = refresh();
    await lockWaiters(2);
    await pause((WINDOW_SECONDS + 1) * 1000);
    await locker.query('ROLLBACK');
    const answers = await Promise.all([held, retried]);
    const late = await refresh();

    const bodies = [...answers, late].map((response) => {
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return response.body as TokenBody;
    });
    expect(new Set(bodies.map((body) => body.refreshToken)).size).toBe(1);
    // One access token: the same claims and jti (an ECDSA signature differs each time it is made).
    expect(new Set(bodies.map((body) => JSON.stringify(decodeJwt(body.accessToken).payload))).size).toBe(1);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(bodies[0].accessToken))).status).toBe(200);
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken: bodies[0].refreshToken })).status).toBe(200);
  }, 30_000);

  it('should still end the session when the spent token comes back after the window', async () => {
    const first = await registerUser(test);
    const second = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken })).body as TokenBody;

    await pause(WINDOW_SECONDS * 1000 + 500);
    const replay = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first.refreshToken });

    expect([replay.status, replay.body.code]).toEqual([401, 'refresh_token_reused']);
    expect((await test.http.get('/api/v1/auth/me').set(bearer(second.accessToken))).status).toBe(401);
  }, 30_000);
});
