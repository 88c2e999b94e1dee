/**
 * `npm run bench -- --scale`: does the request path stay flat as the data grows? On the Postgres
 * server of DATABASE_URL, two fresh databases, each migrated by the service itself on its first start:
 * one left empty, one loaded by SQL (`generate_series`, one statement per table, into the tables and
 * indexes the migrations made) with 1 M users, 3 M sessions (live, expired, revoked) and 5 M audit
 * events, then vacuumed and analysed. On each, a fresh service (AUTH_CACHE_TTL=0, so every request
 * reads its identity from the database) is measured the same way: one client, sequential requests,
 * a warm-up then N timed requests per case; median and p95. The bench's own user is the ADMIN_EMAIL
 * account the service creates at start, so it can call the admin routes.
 *
 * BENCH_SCALE_USERS (default 1,000,000) sets the size; sessions are 3× and events 5× that.
 * Embedded storage is refused, untried at this size: the ~3.6 GB of data would live in the service's own
 * single-connection PGlite (a 32-bit WebAssembly heap), loaded through the service's socket.
 */
import bcrypt from 'bcryptjs';
import { availableParallelism } from 'node:os';
import pg from 'pg';
import { freshDatabase, median, PASSWORD, serviceEnv, startServer, stopServer, type BenchDatabase } from './harness.js';

const USERS = Number(process.env.BENCH_SCALE_USERS ?? 1_000_000);
const SESSIONS = 3 * USERS;
const EVENTS = 5 * USERS;
/** The main bench's cost: login and register each hash once at it. */
const COST = 12;
const PORT = 41_000 + Math.floor(Math.random() * 1000);
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN_EMAIL = 'scale-bench@bench.example';
/** Timed requests per case; the hashing cases (login, register) take fewer. */
const REQUESTS = 200;
const HASHING_REQUESTS = 20;
/** A slow case stops after this much measuring, with at least MIN_REQUESTS samples. */
const CASE_BUDGET_MS = 20_000;
const MIN_REQUESTS = 20;
const RATIO_TARGET = 1.2;
const ADMIN_TARGET_MS = 50;

export const FIRST_NAMES = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Ken'];
export const LAST_NAMES = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Backus',
  'Hamilton',
  'Thompson',
  'Garcia',
  'Nakamura',
  'Okafor',
  'Novak',
  'Silva',
  'Kowalski',
  'Haddad',
  'Jensen',
  'Moreau',
  'Rossi',
];
/** Matches user12345 and user123450 to user123459: 11 users at 1 M (the last 10 need USERS ≥ 123,459). */
const FEW_TERM = 'user12345';
/** A last name one user in 20 carries: 50,000 users at 1 M. */
const MANY_TERM = 'garcia';
export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'okhttp/4.12.0',
];
/** Audit event types other than the common ones weighted below. */
export const RARE_EVENTS = [
  'refresh_reuse_detected',
  'logout_all',
  'session_ended',
  'password_changed',
  'password_reset_requested',
  'password_reset',
  'email_verification_requested',
  'email_verified',
  'email_change_requested',
  'email_changed',
  'account_disabled',
  'account_enabled',
  'roles_changed',
];
const END_REASONS = ['logout', 'logout_all', 'ended_by_user', 'refresh_reuse', 'password_changed', 'password_reset'];

/**
 * The load, one statement per table. User n's id is derived from n (an md5 shaped as a version-4
 * UUID), so sessions and events pick their user by number without a join; `random()` spreads them.
 */
export const USER_ID = (n: string) =>
  `overlay(overlay(md5('scale-user-' || ${n}) placing '4' from 13) placing '8' from 17)::uuid`;

export const LOAD_USERS = `
  INSERT INTO users (id, email, password_hash, name, roles, email_verified_at, disabled_at, created_at, updated_at)
  SELECT ${USER_ID('i')}, 'user' || i || '@example.com', $2,
    ($3::text[])[1 + i % 10] || ' ' || ($4::text[])[1 + (i / 10) % 20],
    CASE WHEN i % 10000 = 0 THEN '{user,admin}'::text[] ELSE '{user}'::text[] END,
    CASE WHEN i % 10 < 7 THEN created + interval '2 hours' * r END,
    CASE WHEN i % 100 = 0 THEN created + (now() - created) * r END,
    created, created + (now() - created) * r
  FROM (SELECT i, random() AS r, now() - interval '730 days' * random() AS created FROM generate_series(1, $1::int) i) g`;

/** Half live, a quarter run out, a quarter ended; rotations exponential with a mean of 4. */
const LOAD_SESSIONS = `
  INSERT INTO sessions (user_id, refresh_token_hash, previous_token_hash, spent_token_fingerprints, generation, rotated_at,
    user_agent, ip, created_at, last_used_at, expires_at, absolute_expires_at, revoked_at, revoked_reason)
  SELECT ${USER_ID('u')}, md5(i || 'a') || md5(i || 'b'),
    CASE WHEN gen > 0 THEN md5(i || 'c') || md5(i || 'd') END,
    CASE WHEN gen > 0 THEN array_fill(('x' || left(md5(i || 'c'), 16))::bit(64)::bigint, ARRAY[least(gen, 16)]) ELSE '{}' END,
    gen, CASE WHEN gen > 0 THEN last_used END,
    ($3::text[])[1 + i % 5], '10.' || i % 256 || '.' || (i / 256) % 256 || '.' || (i / 65536) % 256,
    created, last_used, least(last_used + interval '30 days', created + interval '90 days'), created + interval '90 days',
    CASE WHEN state = 2 THEN last_used END,
    CASE WHEN state = 2 THEN ($4::text[])[1 + i % 6] END
  FROM (
    SELECT i, u, gen, state, created,
      CASE state
        WHEN 0 THEN greatest(created, now() - interval '29 days' * r)
        WHEN 1 THEN created + interval '60 days' * r
        ELSE created + (least(now(), created + interval '90 days') - created) * r
      END AS last_used
    FROM (
      SELECT i, u, gen, state, r,
        CASE state
          WHEN 0 THEN now() - interval '89 days' * r2
          WHEN 1 THEN now() - interval '91 days' - interval '600 days' * r2
          ELSE now() - interval '700 days' * r2
        END AS created
      FROM (
        SELECT i, 1 + floor(random() * $2::int)::int AS u, floor(-ln(1 - random()) * 4)::int AS gen,
          CASE WHEN s < 0.5 THEN 0 WHEN s < 0.75 THEN 1 ELSE 2 END AS state, random() AS r, random() AS r2
        FROM (SELECT i, random() AS s FROM generate_series(1, $1::int) i) a
      ) b
    ) c
  ) d`;

/** One register per user on average, then mostly logins; a few failures of unknown emails have no user. */
export const LOAD_EVENTS = `
  INSERT INTO audit_events (user_id, type, ip, user_agent, detail, created_at)
  SELECT CASE WHEN type = 'login_failure' AND i % 5 = 0 THEN NULL ELSE ${USER_ID('1 + floor(random() * $2::int)::int')} END,
    type, '10.' || i % 256 || '.' || (i / 256) % 256 || '.' || (i / 65536) % 256, ($3::text[])[1 + i % 5],
    CASE type
      WHEN 'login_failure' THEN jsonb_build_object('reason', CASE WHEN i % 5 = 0 THEN 'unknown_email' ELSE 'wrong_password' END)
      WHEN 'logout' THEN jsonb_build_object('sessionId', gen_random_uuid())
      ELSE '{}'::jsonb
    END,
    now() - interval '730 days' * random()
  FROM (
    SELECT i, CASE
      WHEN t < 0.2 THEN 'register' WHEN t < 0.6 THEN 'login_success' WHEN t < 0.72 THEN 'login_failure'
      WHEN t < 0.85 THEN 'logout' ELSE ($4::text[])[1 + i % ${RARE_EVENTS.length}]
    END AS type
    FROM (SELECT i, random() AS t FROM generate_series(1, $1::int) i) a
  ) b`;

const TABLES = ['users', 'sessions', 'audit_events', 'one_time_tokens'] as const;

interface Sample {
  n: number;
  median: number;
  p95: number;
}

interface Case {
  name: string;
  warmup: number;
  requests: number;
  /** Answers the time of one request in ms; `i` counts from 0 over warm-up and timed requests. */
  once: (i: number) => Promise<number>;
}

const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.95) - 1];
const seconds = (since: number) => (performance.now() - since) / 1000;

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.token && { authorization: `Bearer ${options.token}` }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { ms, body: text ? JSON.parse(text) : undefined };
}

async function login(): Promise<{ accessToken: string; refreshToken: string }> {
  return (await call('POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: PASSWORD } })).body as {
    accessToken: string;
    refreshToken: string;
  };
}

async function measure({ name, warmup, requests, once }: Case): Promise<Sample> {
  process.stdout.write(`    ${name}: `);
  for (let i = 0; i < warmup; i++) await once(i);
  const times: number[] = [];
  const started = performance.now();
  while (times.length < requests) {
    times.push(await once(warmup + times.length));
    if (times.length >= MIN_REQUESTS && performance.now() - started > CASE_BUDGET_MS) break;
  }
  const sample = { n: times.length, median: median(times), p95: p95(times) };
  console.log(`median ${sample.median.toFixed(2)} ms, p95 ${sample.p95.toFixed(2)} ms (${sample.n} requests)`);
  return sample;
}

/** Every case, in the same order on both databases (logins add sessions the sessions list then shows). */
async function runCases(label: string): Promise<Record<string, Sample>> {
  const results: Record<string, Sample> = {};
  const run = async (c: Case) => (results[c.name] = await measure(c));
  const tag = `${label}-${Date.now()}`;
  /** A GET with a fresh access token (a login, untimed), so none runs out during a slow case. */
  const read = async (name: string, path: string, warmup = 20) => {
    const { accessToken } = await login();
    await run({ name, warmup, requests: REQUESTS, once: async () => (await call('GET', path, { token: accessToken })).ms });
  };

  await run({
    name: 'POST /auth/login',
    warmup: 3,
    requests: HASHING_REQUESTS,
    once: async () => (await call('POST', '/api/v1/auth/login', { body: { email: ADMIN_EMAIL, password: PASSWORD } })).ms,
  });
  await run({
    name: 'POST /auth/register',
    warmup: 3,
    requests: HASHING_REQUESTS,
    once: async (i) =>
      (await call('POST', '/api/v1/auth/register', { body: { email: `scale-${tag}-${i}@bench.example`, password: PASSWORD } }))
        .ms,
  });
  await read('GET /auth/me', '/api/v1/auth/me');

  let refreshToken = (await login()).refreshToken;
  await run({
    name: 'POST /auth/refresh',
    warmup: 20,
    requests: REQUESTS,
    once: async () => {
      const { ms, body } = await call('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
      refreshToken = (body as { refreshToken: string }).refreshToken;
      return ms;
    },
  });
  await read('GET /auth/sessions', '/api/v1/auth/sessions');
  await read('GET /auth/events', '/api/v1/auth/events');
  await read('GET /users?limit=20', '/api/v1/users?limit=20', 3);
  await read(`GET /users search, few (${FEW_TERM})`, `/api/v1/users?limit=20&search=${FEW_TERM}`, 3);
  await read(`GET /users search, many (${MANY_TERM})`, `/api/v1/users?limit=20&search=${MANY_TERM}`, 3);
  return results;
}

/** The service's settings on `database`: identity cache off, the bench's admin account; one JWT_SECRET per database. */
function envFor(database: BenchDatabase): NodeJS.ProcessEnv {
  return serviceEnv(PORT, database, { BCRYPT_COST: String(COST), AUTH_CACHE_TTL: '0', ADMIN_EMAIL, ADMIN_PASSWORD: PASSWORD });
}

async function load(url: string): Promise<{ seconds: Record<string, number>; rows: Record<string, number> }> {
  // Two connections: sessions and audit events, which only need the users, load side by side (one core each).
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  await Promise.all(clients.map((client) => client.connect()));
  const timings: Record<string, number> = {};
  const rows: Record<string, number> = {};
  try {
    for (const client of clients) {
      // Nothing here needs to survive a crash: the database is thrown away after the run.
      await client.query('SET synchronous_commit = off');
      await client.query(`SET maintenance_work_mem = '256MB'`);
    }
    const step = async (client: pg.Client, name: string, sql: string, params: unknown[] = []) => {
      const started = performance.now();
      const result = await client.query(sql, params);
      timings[name] = seconds(started);
      if (result.rowCount !== null && result.command === 'INSERT') rows[name] = result.rowCount;
      console.log(`    ${name}: ${timings[name].toFixed(1)} s${result.command === 'INSERT' ? ` (${result.rowCount} rows)` : ''}`);
    };
    const hash = bcrypt.hashSync('a loaded user’s password', COST);
    const started = performance.now();
    await step(clients[0], 'users', LOAD_USERS, [USERS, hash, FIRST_NAMES, LAST_NAMES]);
    await Promise.all([
      step(clients[0], 'sessions', LOAD_SESSIONS, [SESSIONS, USERS, USER_AGENTS, END_REASONS]),
      step(clients[1], 'audit_events', LOAD_EVENTS, [EVENTS, USERS, USER_AGENTS, RARE_EVENTS]),
    ]);
    // As autovacuum would leave them (it is off on some servers): statistics, visibility map, hint bits.
    await step(clients[0], 'VACUUM ANALYZE', 'VACUUM (ANALYZE) users, sessions, audit_events, one_time_tokens');
    timings.total = seconds(started);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
  return { seconds: timings, rows };
}

async function sizes(url: string): Promise<Record<string, { rows: number; bytes: number }>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result: Record<string, { rows: number; bytes: number }> = {};
    for (const table of TABLES) {
      const { rows } = await client.query<{ rows: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${table}) AS rows, pg_total_relation_size('${table}') AS bytes`,
      );
      result[table] = { rows: Number(rows[0].rows), bytes: Number(rows[0].bytes) };
    }
    return result;
  } finally {
    await client.end();
  }
}

/** Runs `phase` on a fresh database, and drops it whatever happens, also on Ctrl-C. */
async function withDatabase<T>(phase: (database: BenchDatabase & { url: string }) => Promise<T>): Promise<T> {
  const database = await freshDatabase();
  const { url } = database;
  if (!url) throw new Error('unreachable: DATABASE_URL is checked first');
  const onSignal = () => void database.drop().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await phase({ ...database, url });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await database.drop();
  }
}

async function withServer<T>(env: NodeJS.ProcessEnv, body: () => Promise<T>): Promise<T> {
  const server = await startServer(BASE, env);
  try {
    return await body();
  } finally {
    await stopServer(server);
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export async function runScale(): Promise<Record<string, unknown>> {
  if (!process.env.DATABASE_URL) {
    const message =
      'The scale bench needs a Postgres server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres). ' +
      'It is not run on embedded storage (PGlite): ~3.6 GB of users, sessions and events in one WebAssembly process is untried.';
    console.error(message);
    process.exitCode = 1;
    return { skipped: message };
  }
  const began = performance.now();
  console.log(
    `Scale bench: ${availableParallelism()} cores, Postgres server, bcrypt cost ${COST}, AUTH_CACHE_TTL=0, one client; ` +
      `${REQUESTS} requests per case (${HASHING_REQUESTS} for login and register; a case stops after ${CASE_BUDGET_MS / 1000} s ` +
      `with at least ${MIN_REQUESTS}) after a warm-up`,
  );

  console.log('Empty database:');
  const empty = await withDatabase((database) => withServer(envFor(database), () => runCases('empty')));

  const label = `${(USERS / 1e6).toLocaleString('en')} M`;
  const loaded = await withDatabase(async (database) => {
    console.log(
      `Database with ${USERS.toLocaleString('en')} users, ${SESSIONS.toLocaleString('en')} sessions, ${EVENTS.toLocaleString('en')} audit events:`,
    );
    // The service migrates the new database and creates its admin account; then it stops for the load.
    const env = envFor(database);
    await stopServer(await startServer(BASE, env));
    console.log('  load (SQL, into the migrated tables and their indexes):');
    const loadResult = await load(database.url);
    const tableSizes = await sizes(database.url);
    console.log('  cases:');
    const cases = await withServer(env, () => runCases('loaded'));
    return { load: loadResult, sizes: tableSizes, cases };
  });

  const rows = Object.keys(empty).map((name) => {
    const before = empty[name];
    const after = loaded.cases[name];
    const ratio = after.median / before.median;
    const admin = name.startsWith('GET /users');
    // Both of the issue's targets, judged apart: the admin list and search also have an absolute bound.
    const flat = ratio <= RATIO_TARGET;
    const underBound = !admin || after.median < ADMIN_TARGET_MS;
    const yesNo = (value: boolean) => (value ? 'met' : 'not met');
    const met = admin ? `${yesNo(flat)} / ${yesNo(underBound)}` : yesNo(flat);
    const target = `≤ ${RATIO_TARGET}× empty${admin ? ` / < ${ADMIN_TARGET_MS} ms` : ''}`;
    return { case: name, empty: before, loaded: after, ratio, target, met: flat && underBound, judged: met };
  });

  console.log(
    `\n| case | empty median ms (p95) | ${label} median ms (p95) | ratio | target | met |\n|---|---:|---:|---:|---|:---:|`,
  );
  for (const row of rows)
    console.log(
      `| ${row.case} | ${row.empty.median.toFixed(2)} (${row.empty.p95.toFixed(2)}) | ${row.loaded.median.toFixed(2)} (${row.loaded.p95.toFixed(2)}) | ` +
        `${row.ratio.toFixed(2)}× | ${row.target} | ${row.judged} |`,
    );
  console.log('\n| table | rows | load s | size (pg_total_relation_size) |\n|---|---:|---:|---:|');
  for (const table of TABLES) {
    const loadSeconds = loaded.load.seconds[table];
    console.log(
      `| ${table} | ${loaded.sizes[table].rows.toLocaleString('en')} | ${loadSeconds === undefined ? '–' : loadSeconds.toFixed(1)} | ${mib(loaded.sizes[table].bytes)} |`,
    );
  }
  const wall = seconds(began);
  console.log(
    `\nVACUUM ANALYZE after the load: ${loaded.load.seconds['VACUUM ANALYZE'].toFixed(1)} s; ` +
      `the whole load (sessions and events side by side): ${loaded.load.seconds.total.toFixed(1)} s. ` +
      `Search terms: "${FEW_TERM}" (few rows), "${MANY_TERM}" (one user in 20). Wall time ${(wall / 60).toFixed(1)} min.`,
  );

  return {
    cores: availableParallelism(),
    bcryptCost: COST,
    users: USERS,
    sessions: SESSIONS,
    events: EVENTS,
    searchTerms: { few: FEW_TERM, many: MANY_TERM },
    load: loaded.load,
    sizes: loaded.sizes,
    cases: rows,
    allMet: rows.every((row) => row.met),
    wallSeconds: wall,
  };
}
