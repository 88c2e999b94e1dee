/**
 * `npm run bench -- --retention`: what the purge frees. On the Postgres server of DATABASE_URL, a fresh
 * database migrated by the service itself, loaded by SQL (`generate_series`, the scale bench's users and
 * audit events) with sessions of which most were revoked long ago, audit events spread over two years,
 * and mailed one-time tokens mostly spent long ago; then vacuumed and analysed. The purge runs through
 * the service's own PurgeService (a Nest application context on the production build, as a command
 * would run it) with the default retention (sessions 30 days, audit events 400 days, tokens 1 day).
 * Reported: rows and pg_total_relation_size per table before the purge, after it, after VACUUM, and
 * after VACUUM FULL; and the plan of each purge statement.
 *
 * BENCH_RETENTION_SESSIONS (default 300,000) sets the size: audit events are 10/3× that, users a sixth,
 * one-time tokens a third.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freshDatabase, PASSWORD, ROOT, serviceEnv, startServer, stopServer, type BenchDatabase } from './harness.js';
import { FIRST_NAMES, LAST_NAMES, LOAD_EVENTS, LOAD_USERS, RARE_EVENTS, USER_AGENTS, USER_ID } from './scale.js';

const SESSIONS = Number(process.env.BENCH_RETENTION_SESSIONS ?? 300_000);
const EVENTS = Math.round((SESSIONS * 10) / 3);
const USERS = Math.round(SESSIONS / 6);
const TOKENS = Math.round(SESSIONS / 3);
const PORT = 42_000 + Math.floor(Math.random() * 1000);
const TABLES = ['sessions', 'one_time_tokens', 'audit_events'] as const;

/**
 * 85% revoked 31 to 400 days ago (due), 10% revoked in the last 30 days (kept), 5% live; each with up
 * to 16 spent-token fingerprints, as rotations leave them.
 */
const LOAD_SESSIONS = `
  INSERT INTO sessions (user_id, refresh_token_hash, previous_token_hash, spent_token_fingerprints, generation, rotated_at,
    user_agent, ip, created_at, last_used_at, expires_at, absolute_expires_at, revoked_at, revoked_reason)
  SELECT ${USER_ID('1 + i % $2::int')}, md5(i || 'a') || md5(i || 'b'), md5(i || 'c') || md5(i || 'd'),
    array_fill(('x' || left(md5(i || 'c'), 16))::bit(64)::bigint, ARRAY[i % 17]), i % 17, last_used,
    ($3::text[])[1 + i % 5], '10.' || i % 256 || '.' || (i / 256) % 256 || '.1',
    created, last_used, least(last_used + interval '30 days', created + interval '90 days'), created + interval '90 days',
    CASE WHEN kind < 0.95 THEN last_used END, CASE WHEN kind < 0.95 THEN 'logout' END
  FROM (
    SELECT i, kind, created, created + (least(now(), created + interval '90 days') - created) * random() * 0.1 AS last_used
    FROM (
      SELECT i, kind, CASE
        WHEN kind < 0.85 THEN now() - interval '32 days' - interval '370 days' * random()
        WHEN kind < 0.95 THEN now() - interval '29 days' * random()
        ELSE now() - interval '20 days' * random()
      END AS created
      FROM (SELECT i, random() AS kind FROM generate_series(1, $1::int) i) a
    ) b
  ) c`;

/** 90% spent or expired 2 to 60 days ago (due), 10% issued in the last hours (kept). */
const LOAD_TOKENS = `
  INSERT INTO one_time_tokens (user_id, purpose, token_hash, email, created_at, expires_at, used_at)
  SELECT ${USER_ID('1 + i % $2::int')}, (ARRAY['verify_email', 'reset_password', 'change_email'])[1 + i % 3],
    md5(i || 't') || md5(i || 'u'), 'user' || (1 + i % $2::int) || '@example.com', created, created + interval '1 day',
    CASE WHEN i % 2 = 0 THEN created + interval '10 minutes' END
  FROM (
    SELECT i, CASE WHEN random() < 0.9 THEN now() - interval '3 days' - interval '57 days' * random()
      ELSE now() - interval '6 hours' * random() END AS created
    FROM generate_series(1, $1::int) i
  ) a`;

/** The purge's statements, as the owning folders write them, to show that each finds its rows by an index. */
const PLANS: Record<string, string> = {
  sessions: `EXPLAIN DELETE FROM sessions WHERE id IN (
    SELECT id FROM (
      (SELECT id FROM sessions WHERE revoked_at < now() - interval '30 days' ORDER BY revoked_at LIMIT 1000)
      UNION ALL
      (SELECT id FROM sessions WHERE absolute_expires_at < now() - interval '30 days'
        AND (revoked_at IS NULL OR revoked_at >= now() - interval '30 days') ORDER BY absolute_expires_at LIMIT 1000)
    ) due LIMIT 1000)`,
  one_time_tokens: `EXPLAIN DELETE FROM one_time_tokens WHERE id IN (
    SELECT id FROM (
      (SELECT id FROM one_time_tokens WHERE expires_at < now() - interval '1 day' ORDER BY expires_at LIMIT 1000)
      UNION ALL
      (SELECT id FROM one_time_tokens WHERE used_at < now() - interval '1 day' AND expires_at >= now() - interval '1 day'
        ORDER BY used_at LIMIT 1000)
    ) due LIMIT 1000)`,
  audit_events: `EXPLAIN DELETE FROM audit_events WHERE id IN (
    SELECT id FROM audit_events WHERE created_at < now() - interval '400 days' ORDER BY created_at LIMIT 1000)`,
};

type Sizes = Record<(typeof TABLES)[number], { rows: number; bytes: number }>;

interface PurgeResult {
  status: string;
  deleted: Record<string, number>;
  durationMs: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function sizes(url: string): Promise<Sizes> {
  return withClient(url, async (client) => {
    const result = {} as Sizes;
    for (const table of TABLES) {
      const { rows } = await client.query<{ rows: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${table}) AS rows, pg_total_relation_size('${table}') AS bytes`,
      );
      result[table] = { rows: Number(rows[0].rows), bytes: Number(rows[0].bytes) };
    }
    return result;
  });
}

async function load(url: string): Promise<Record<string, number>> {
  return withClient(url, async (client) => {
    // Nothing here needs to survive a crash: the database is thrown away after the run.
    await client.query('SET synchronous_commit = off');
    const timings: Record<string, number> = {};
    const step = async (name: string, sql: string, params: unknown[] = []) => {
      const started = performance.now();
      const result = await client.query(sql, params);
      timings[name] = seconds(started);
      console.log(`    ${name}: ${timings[name].toFixed(1)} s${result.command === 'INSERT' ? ` (${result.rowCount} rows)` : ''}`);
    };
    await step('users', LOAD_USERS, [USERS, 'not a bcrypt hash: nobody logs in as a loaded user', FIRST_NAMES, LAST_NAMES]);
    await step('sessions', LOAD_SESSIONS, [SESSIONS, USERS, USER_AGENTS]);
    await step('one_time_tokens', LOAD_TOKENS, [TOKENS, USERS]);
    await step('audit_events', LOAD_EVENTS, [EVENTS, USERS, USER_AGENTS, RARE_EVENTS]);
    await step('VACUUM ANALYZE', 'VACUUM (ANALYZE) users, sessions, one_time_tokens, audit_events');
    return timings;
  });
}

/** The purge as a command would run it: the production build's AppModule as a Nest application context, no HTTP. */
async function purgeThroughService(env: NodeJS.ProcessEnv): Promise<PurgeResult> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const { NestFactory } = await import('@nestjs/core');
    const { AppModule } = (await import(join(ROOT, 'dist/app.module.js'))) as { AppModule: new () => unknown };
    const { PurgeService } = (await import(join(ROOT, 'dist/retention/purge.service.js'))) as {
      PurgeService: new () => { purgeNow(): Promise<PurgeResult> };
    };
    const context = await NestFactory.createApplicationContext(AppModule, { logger: ['warn', 'error'] });
    try {
      return await context.get(PurgeService).purgeNow();
    } finally {
      await context.close();
    }
  } finally {
    process.env = saved;
  }
}

export async function runRetention(): Promise<Record<string, unknown>> {
  if (!process.env.DATABASE_URL) {
    const message =
      'The retention bench needs a Postgres server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres).';
    console.error(message);
    process.exitCode = 1;
    return { skipped: message };
  }
  const began = performance.now();
  console.log(
    `Retention bench: ${availableParallelism()} cores; ${SESSIONS.toLocaleString('en')} sessions, ` +
      `${EVENTS.toLocaleString('en')} audit events, ${TOKENS.toLocaleString('en')} one-time tokens, ${USERS.toLocaleString('en')} users`,
  );
  const database: BenchDatabase = await freshDatabase();
  const url = database.url!;
  try {
    // The service migrates the new database on its first start; PURGE_INTERVAL=off, so only the purge below deletes.
    const env = serviceEnv(PORT, database, {
      ADMIN_EMAIL: 'retention-bench@bench.example',
      ADMIN_PASSWORD: PASSWORD,
      PURGE_INTERVAL: 'off',
    });
    await stopServer(await startServer(`http://127.0.0.1:${PORT}`, env));
    console.log('  load (SQL, into the migrated tables and their indexes):');
    const loadSeconds = await load(url);

    const plans: Record<string, string> = {};
    await withClient(url, async (client) => {
      for (const [table, sql] of Object.entries(PLANS)) {
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(sql);
        plans[table] = rows.map((row) => row['QUERY PLAN']).join('\n');
        console.log(`  plan, ${table}:\n${plans[table].replace(/^/gm, '    ')}`);
      }
    });

    const before = await sizes(url);
    console.log('  purge (PurgeService.purgeNow through a Nest application context):');
    const purge = await purgeThroughService(env);
    const afterPurge = await sizes(url);
    const vacuumStarted = performance.now();
    await withClient(url, (client) => client.query('VACUUM sessions, one_time_tokens, audit_events'));
    const vacuumSeconds = seconds(vacuumStarted);
    const afterVacuum = await sizes(url);
    const fullStarted = performance.now();
    await withClient(url, (client) => client.query('VACUUM FULL sessions, one_time_tokens, audit_events'));
    const vacuumFullSeconds = seconds(fullStarted);
    const afterVacuumFull = await sizes(url);

    console.log(
      '\n| table | rows before | rows after | size before | after purge | after VACUUM | after VACUUM FULL |\n|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const table of TABLES) {
      console.log(
        `| ${table} | ${before[table].rows.toLocaleString('en')} | ${afterPurge[table].rows.toLocaleString('en')} | ` +
          `${mib(before[table].bytes)} | ${mib(afterPurge[table].bytes)} | ${mib(afterVacuum[table].bytes)} | ${mib(afterVacuumFull[table].bytes)} |`,
      );
    }
    const wall = seconds(began);
    console.log(
      `\nPurge: ${purge.status} in ${(purge.durationMs / 1000).toFixed(1)} s (${JSON.stringify(purge.deleted)}); ` +
        `VACUUM ${vacuumSeconds.toFixed(1)} s, VACUUM FULL ${vacuumFullSeconds.toFixed(1)} s. Wall time ${(wall / 60).toFixed(1)} min.`,
    );
    return {
      sessions: SESSIONS,
      events: EVENTS,
      tokens: TOKENS,
      users: USERS,
      load: loadSeconds,
      plans,
      purge,
      sizes: { before, afterPurge, afterVacuum, afterVacuumFull },
      vacuumSeconds,
      vacuumFullSeconds,
      wallSeconds: wall,
    };
  } finally {
    await database.drop();
  }
}
