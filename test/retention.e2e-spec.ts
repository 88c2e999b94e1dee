import pg from 'pg';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurgeService, type PurgeResult } from '../src/retention/purge.service.js';
import { login, registerUser } from './support/factories.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './support/test-app.js';

const DAY = 86_400_000;
const BATCH = 100;

const ago = (ms: number) => new Date(Date.now() - ms);
const ahead = (ms: number) => new Date(Date.now() + ms);
const sql = (test: TestApp) => test.app.get(DataSource);
const purge = (test: TestApp): Promise<PurgeResult> => test.app.get(PurgeService).purgeNow();

async function newUser(test: TestApp, label: string): Promise<string> {
  const rows = await sql(test).query<Array<{ id: string }>>(
    `INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id`,
    [`${label}-${Date.now()}-${Math.random().toString(16).slice(2)}@example.com`],
  );
  return rows[0].id;
}

interface SessionRow {
  label: string;
  createdAt: Date;
  expiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt?: Date;
}

/** Sessions made by SQL, told apart by their user agent. */
async function insertSessions(test: TestApp, userId: string, sessions: SessionRow[]): Promise<void> {
  for (const s of sessions) {
    await sql(test).query(
      `INSERT INTO sessions (user_id, refresh_token_hash, user_agent, created_at, last_used_at, expires_at, absolute_expires_at, revoked_at, revoked_reason)
       VALUES ($1, md5($2) || md5($2 || 'x'), $2, $3, $3, $4, $5, $6, CASE WHEN $6::timestamptz IS NULL THEN NULL ELSE 'logout' END)`,
      [userId, s.label, s.createdAt, s.expiresAt, s.absoluteExpiresAt, s.revokedAt ?? null],
    );
  }
}

async function insertToken(
  test: TestApp,
  userId: string,
  label: string,
  times: { createdAt: Date; expiresAt: Date; usedAt?: Date },
): Promise<void> {
  await sql(test).query(
    `INSERT INTO one_time_tokens (user_id, purpose, token_hash, email, created_at, expires_at, used_at)
     VALUES ($1, 'reset_password', md5($2) || md5($2 || 'x'), $2 || '@example.com', $3, $4, $5)`,
    [userId, label, times.createdAt, times.expiresAt, times.usedAt ?? null],
  );
}

/** `count` audit events of one type, all recorded at `at`. */
async function insertEvents(test: TestApp, type: string, count: number, at: Date): Promise<void> {
  await sql(test).query(
    `INSERT INTO audit_events (type, created_at) SELECT $1, $2::timestamptz FROM generate_series(1, $3::int)`,
    [type, at, count],
  );
}

const labels = async (test: TestApp, query: string, params: unknown[] = []) =>
  (await sql(test).query<Array<{ label: string }>>(query, params)).map((row) => row.label).sort();

const eventCount = async (test: TestApp, type: string) =>
  Number((await sql(test).query<Array<{ n: string }>>('SELECT count(*) AS n FROM audit_events WHERE type = $1', [type]))[0].n);

describe('retention: the purge (e2e)', () => {
  let database: TestDatabase;
  let test: TestApp;
  let closed = false;

  beforeAll(async () => {
    database = await createTestDatabase();
    test = await startTestApp({ database, env: { AUDIT_RETENTION: '30d', PURGE_BATCH_SIZE: String(BATCH) } });
  });

  afterAll(async () => {
    if (!closed) await test?.close();
    await database?.drop();
  });

  it('should delete sessions ended more than SESSION_RETENTION (30 days) ago, and no other session', async () => {
    const userId = await newUser(test, 'sessions');
    await insertSessions(test, userId, [
      {
        label: 'revoked-40d',
        createdAt: ago(50 * DAY),
        expiresAt: ahead(10 * DAY),
        absoluteExpiresAt: ahead(40 * DAY),
        revokedAt: ago(40 * DAY),
      },
      { label: 'absolute-end-40d', createdAt: ago(130 * DAY), expiresAt: ago(40 * DAY), absoluteExpiresAt: ago(40 * DAY) },
      // Both ways in match it: deleted, and counted, once.
      {
        label: 'revoked-and-ended-200d',
        createdAt: ago(300 * DAY),
        expiresAt: ago(210 * DAY),
        absoluteExpiresAt: ago(210 * DAY),
        revokedAt: ago(220 * DAY),
      },
      {
        label: 'revoked-10d',
        createdAt: ago(20 * DAY),
        expiresAt: ahead(10 * DAY),
        absoluteExpiresAt: ahead(70 * DAY),
        revokedAt: ago(10 * DAY),
      },
      { label: 'absolute-end-10d', createdAt: ago(100 * DAY), expiresAt: ago(10 * DAY), absoluteExpiresAt: ago(10 * DAY) },
      { label: 'live', createdAt: ago(5 * DAY), expiresAt: ahead(25 * DAY), absoluteExpiresAt: ahead(85 * DAY) },
      // Ran out unused 40 days ago, but its absolute end is still ahead: kept until then (see PURGE_ENDED).
      { label: 'idle-end-40d', createdAt: ago(70 * DAY), expiresAt: ago(40 * DAY), absoluteExpiresAt: ahead(20 * DAY) },
    ]);

    const result = await purge(test);

    expect(result).toMatchObject({ status: 'done', deleted: { sessions: 3 } });
    expect(await labels(test, 'SELECT user_agent AS label FROM sessions WHERE user_id = $1', [userId])).toEqual([
      'absolute-end-10d',
      'idle-end-40d',
      'live',
      'revoked-10d',
    ]);
  });

  it('should delete one-time tokens spent or expired more than a day ago, and keep recent and usable ones', async () => {
    const userId = await newUser(test, 'tokens');
    await insertToken(test, userId, 'spent-2d', { createdAt: ago(3 * DAY), expiresAt: ahead(4 * DAY), usedAt: ago(2 * DAY) });
    await insertToken(test, userId, 'expired-2d', { createdAt: ago(3 * DAY), expiresAt: ago(2 * DAY) });
    await insertToken(test, userId, 'spent-and-expired-5d', {
      createdAt: ago(7 * DAY),
      expiresAt: ago(6 * DAY),
      usedAt: ago(5 * DAY),
    });
    await insertToken(test, userId, 'spent-1h', { createdAt: ago(DAY / 12), expiresAt: ahead(DAY), usedAt: ago(DAY / 24) });
    await insertToken(test, userId, 'expired-1h', { createdAt: ago(DAY / 2), expiresAt: ago(DAY / 24) });
    await insertToken(test, userId, 'usable', { createdAt: ago(DAY / 24), expiresAt: ahead(DAY / 2) });

    const result = await purge(test);

    expect(result).toMatchObject({ status: 'done', deleted: { oneTimeTokens: 3 } });
    expect(
      await labels(test, 'SELECT split_part(email, $2, 1) AS label FROM one_time_tokens WHERE user_id = $1', [userId, '@']),
    ).toEqual(['expired-1h', 'spent-1h', 'usable']);
  });

  it('should delete audit events older than AUDIT_RETENTION in batches, past the batch size, and keep younger ones', async () => {
    await insertEvents(test, 'login_failure', 2 * BATCH + 50, ago(31 * DAY));
    await insertEvents(test, 'login_success', 7, ago(29 * DAY));

    const result = await purge(test);

    expect(result).toMatchObject({ status: 'done', deleted: { auditEvents: 2 * BATCH + 50 } });
    expect(await eventCount(test, 'login_failure')).toBe(0);
    expect(await eventCount(test, 'login_success')).toBeGreaterThanOrEqual(7);
    // Nothing due is left: a second purge finds nothing.
    expect((await purge(test)).deleted).toEqual({ sessions: 0, oneTimeTokens: 0, loginChallenges: 0, auditEvents: 0 });
  });

  it('should leave the session row bounded however often it is refreshed, and still know a recently spent token', async () => {
    const { email, password } = await registerUser(test);
    let { refreshToken } = await login(test, email, password);
    const issued: string[] = [refreshToken];
    const sizes = new Map<number, number>();
    for (let refreshes = 1; refreshes <= 30; refreshes++) {
      const response = await test.http.post('/api/v1/auth/refresh').send({ refreshToken }).expect(200);
      refreshToken = response.body.refreshToken;
      issued.push(refreshToken);
      if ([5, 20, 30].includes(refreshes)) {
        // The refreshed session (registering made another one, never refreshed).
        const rows = await sql(test).query<Array<{ size: number; generation: number }>>(
          `SELECT pg_column_size(s.*) AS size, s.generation FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE u.email = $1 ORDER BY s.generation DESC LIMIT 1`,
          [email],
        );
        expect(rows[0].generation).toBe(refreshes);
        sizes.set(refreshes, Number(rows[0].size));
      }
    }

    // Growth stops at 16 spent tokens of 8 bytes each: 11 more after 5 refreshes (and alignment), none after 20.
    expect(sizes.get(30)).toBe(sizes.get(20));
    expect(sizes.get(30)!).toBeLessThanOrEqual(sizes.get(5)! + 11 * 8 + 8);
    expect(sizes.get(30)!).toBeLessThan(700);

    // Spent 29 rotations ago: beyond the 16 remembered, merely invalid, and the session goes on.
    const forgotten = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: issued[1] });
    expect(forgotten.status).toBe(401);
    expect(forgotten.body.code).toBe('refresh_token_invalid');
    // Spent 10 rotations ago: a copy in someone else's hands; the session ends.
    const replayed = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: issued[20] });
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('refresh_token_reused');
    expect((await test.http.post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(401);
  });

  it('should still take a token spent before the upgrade (kept in full by the previous release) for reuse', async () => {
    const { email, password } = await registerUser(test);
    const first = (await login(test, email, password)).refreshToken;
    const second = (await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first }).expect(200)).body.refreshToken;
    // As the previous release left the row: the spent token's hash in full, no fingerprint.
    await sql(test).query(
      `UPDATE sessions SET spent_token_hashes = ARRAY[previous_token_hash::text], spent_token_fingerprints = '{}' WHERE id = $1`,
      [first.split('.')[0]],
    );
    await test.http.post('/api/v1/auth/refresh').send({ refreshToken: second }).expect(200);

    const replayed = await test.http.post('/api/v1/auth/refresh').send({ refreshToken: first });

    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('refresh_token_reused');
  });

  describe('with AUDIT_RETENTION=0 and the schedule on (PURGE_INTERVAL=1s)', () => {
    let scheduled: TestApp;

    beforeAll(async () => {
      closed = true;
      await test.close();
      scheduled = await startTestApp({ database, env: { AUDIT_RETENTION: '0', PURGE_INTERVAL: '1s' } });
    });

    afterAll(async () => {
      await scheduled?.close();
    });

    it('should purge on its own schedule, without being asked', async () => {
      const userId = await newUser(scheduled, 'scheduled');
      await insertToken(scheduled, userId, 'scheduled-expired-3d', { createdAt: ago(4 * DAY), expiresAt: ago(3 * DAY) });

      await expect
        .poll(() => labels(scheduled, 'SELECT email AS label FROM one_time_tokens WHERE user_id = $1', [userId]), {
          timeout: 15_000,
        })
        .toEqual([]);
    });

    it('should keep every audit event, however old', async () => {
      await insertEvents(scheduled, 'roles_changed', 3, ago(2 * 365 * DAY));

      const result = await purge(scheduled);

      expect(result.deleted.auditEvents).toBe(0);
      expect(await eventCount(scheduled, 'roles_changed')).toBe(3);
    });
  });
});

// Embedded storage serves one instance by construction; two share a database only on a Postgres server.
describe.skipIf(!process.env.DATABASE_URL)('retention: two instances on one database (e2e, Postgres server)', () => {
  let database: TestDatabase;
  let a: TestApp;
  let b: TestApp;

  const env = { AUDIT_RETENTION: '30d', PURGE_BATCH_SIZE: String(BATCH) };

  beforeAll(async () => {
    database = await createTestDatabase();
    a = await startTestApp({ database, env });
    b = await startTestApp({ database, env });
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await database?.drop();
  });

  async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<{ client: pg.Client; result: T }> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    return { client, result: await work(client) };
  }

  const grantedPurgeLocks = async () =>
    Number(
      (
        await sql(a).query<Array<{ n: string }>>(
          `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity p ON p.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND p.datname = current_database() AND p.query LIKE 'DELETE FROM audit_events%'`,
        )
      )[0].n,
    );

  it('should let only one instance purge at a time: the other reports the lock held and deletes nothing', async () => {
    await insertEvents(a, 'login_failure', 3 * BATCH, ago(40 * DAY));
    // A row lock on the oldest event holds A's first batch, and with it the purge lock, until released.
    const { client: blocker } = await withClient(async (client) => {
      await client.query('BEGIN');
      await client.query(`SELECT id FROM audit_events WHERE type = 'login_failure' ORDER BY created_at LIMIT 1 FOR UPDATE`);
    });
    try {
      const running = purge(a);
      await expect.poll(grantedPurgeLocks, { timeout: 10_000 }).toBe(1);

      const other = await purge(b);

      expect(other).toMatchObject({
        status: 'locked',
        deleted: { sessions: 0, oneTimeTokens: 0, loginChallenges: 0, auditEvents: 0 },
      });
      await blocker.query('COMMIT');
      const first = await running;
      expect(first).toMatchObject({ status: 'done', deleted: { auditEvents: 3 * BATCH } });
      expect(await eventCount(a, 'login_failure')).toBe(0);
    } finally {
      await blocker.end();
    }
  });

  it('should skip the purge while another holder has the purge lock, and run once it is free', async () => {
    await insertEvents(a, 'logout', 5, ago(40 * DAY));
    const { client: holder } = await withClient((client) =>
      client.query("SELECT pg_advisory_lock(hashtext('auth-service:purge'))"),
    );
    try {
      expect(await purge(b)).toMatchObject({ status: 'locked', deleted: { auditEvents: 0 } });
      expect(await eventCount(a, 'logout')).toBe(5);
    } finally {
      await holder.end();
    }

    expect(await purge(b)).toMatchObject({ status: 'done', deleted: { auditEvents: 5 } });
  });
});
