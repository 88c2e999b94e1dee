/**
 * The throughput and latency cases of `npm run bench`, each against a yardstick measured in the same run:
 *
 * - the minimal NestJS 12 Fastify app (bench/minimal, production mode, same Node) for every req/s;
 * - the database's ceiling for one committed single-row write per request, for refresh: from this
 *   process, a `pg` pool of the service's size, as many workers as refresh connections, each looping
 *   one autocommit `UPDATE … WHERE id = $1 RETURNING …` on a row of its own;
 * - the login ceiling, for login: cores ÷ the median time of one bcrypt check at the service's cost,
 *   run one at a time on a piscina worker loading the service's own worker file;
 * - for `/auth/me` during a login storm, the same fixed-rate probe at rest, just before.
 *
 * Three servers run side by side on their own ports: the minimal app, the service with its defaults,
 * and a second service with AUTH_CACHE_TTL=0 on a fresh database of its own (so both `/auth/me`
 * variants are measured in every round without a restart). After one warm-up of every case, each
 * round runs every case once, in the order of CASES; the figures are medians over the rounds, and
 * every ratio is taken within a round (then the median), so load from elsewhere falls on both sides.
 */
import bcrypt from 'bcryptjs';
import type { Options } from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Piscina } from 'piscina';
import {
  fixedRate,
  freshDatabase,
  median,
  PASSWORD,
  percentile,
  post,
  refreshChain,
  REFRESH_SESSIONS,
  ROOT,
  rssKiB,
  serviceEnv,
  settle,
  startServer,
  stopServer,
  timed,
  type BenchDatabase,
  type Run,
} from './harness.js';

export interface ThroughputSettings {
  /** The service listens here, the AUTH_CACHE_TTL=0 service on the next port, the minimal app on the one after. */
  port: number;
  connections: number;
  warmup: number;
  duration: number;
  rounds: number;
  bcryptCost: number;
  /** The service's DATABASE_POOL_SIZE on a Postgres server (embedded storage always uses one connection). */
  poolSize: number;
  /** Total req/s of the fixed-rate `/auth/me` probe. */
  probeRate: number;
}

const CASES = [
  'minimal',
  'live',
  'me',
  'meUncached',
  'refresh',
  'writeCeiling',
  'login',
  'probeRest',
  'probeStorm',
  'storm',
] as const;
type Case = (typeof CASES)[number];

const LOGIN_CONNECTIONS = 8;
const PROBE_CONNECTIONS = 4;
/** Login runs last this many times longer than the others: at a few logins a second, a short run counts too few to be exact. */
const LOGIN_DURATION_FACTOR = 2;
/** Hash timings per round (the warm-up round's are dropped). */
const HASHES_PER_ROUND = 2;
/** The storm runs this long before the probe starts, and the probe ends before it. */
const STORM_LEAD_MS = 500;

const CEILING_TABLE = 'bench_write_ceiling';

interface Service {
  base: string;
  server: ChildProcess;
  database: BenchDatabase;
  email: string;
  accessToken: string;
}

export interface Target {
  target: string;
  /** The median over the rounds of the ratio taken within each round (RSS: one ratio). */
  measured: number;
  min: number;
  max: number;
  unit: '%' | '×';
  met: boolean;
  /** Why a target is not met although the ratio would meet it. */
  note?: string;
}

function caseNames(settings: ThroughputSettings): Record<Case, string> {
  return {
    minimal: 'minimal NestJS app, `GET /`',
    live: '`GET /health/live`',
    me: '`GET /api/v1/auth/me`, identity cache on',
    meUncached: '`GET /api/v1/auth/me`, `AUTH_CACHE_TTL=0`',
    refresh: `\`POST /api/v1/auth/refresh\` (${REFRESH_SESSIONS} sessions)`,
    writeCeiling: `database: one-row \`UPDATE … RETURNING\`, autocommit (commits/s)`,
    login: `\`POST /api/v1/auth/login\` (cost ${settings.bcryptCost})`,
    probeRest: `\`/auth/me\` at ${settings.probeRate} req/s, at rest`,
    probeStorm: `\`/auth/me\` at ${settings.probeRate} req/s, during a login storm`,
    storm: `the storm's logins (${LOGIN_CONNECTIONS} connections)`,
  };
}

/** Cases whose req/s the table states as a share of the minimal app's. */
const SHARE_OF_MINIMAL: ReadonlySet<Case> = new Set(['live', 'me', 'meUncached', 'refresh']);

async function startService(port: number, settings: ThroughputSettings, extra: NodeJS.ProcessEnv): Promise<Service> {
  const database = await freshDatabase();
  const base = `http://127.0.0.1:${port}`;
  try {
    const server = await startServer(
      base,
      serviceEnv(port, database, {
        BCRYPT_COST: String(settings.bcryptCost),
        DATABASE_POOL_SIZE: String(settings.poolSize),
        ...extra,
      }),
    );
    const email = `bench-${port}-${Date.now()}@example.com`;
    const registered = await post(base, '/api/v1/auth/register', { email, password: PASSWORD });
    return { base, server, database, email, accessToken: registered.accessToken as string };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** A pool onto the service's database, as large as the service's own (embedded storage: its socket, one connection). */
function ceilingPool(service: Service, settings: ThroughputSettings): pg.Pool {
  const common = { idleTimeoutMillis: 0 };
  if (service.database.url) return new pg.Pool({ ...common, connectionString: service.database.url, max: settings.poolSize });
  // Where the service serves its embedded database (src/database/embedded-postgres.ts), one query at a time.
  const socketDir = join(realpathSync(service.database.dataDir), 'pgsocket');
  if (!existsSync(socketDir)) throw new Error(`no embedded database socket in ${socketDir}`);
  return new pg.Pool({ ...common, host: socketDir, port: 5432, user: 'postgres', database: 'postgres', max: 1 });
}

async function prepareCeiling(pool: pg.Pool): Promise<void> {
  await pool.query(
    `CREATE TABLE ${CEILING_TABLE} (id integer PRIMARY KEY, writes bigint NOT NULL, written_at timestamptz NOT NULL)`,
  );
  await pool.query(`INSERT INTO ${CEILING_TABLE} SELECT id, 0, now() FROM generate_series(1, $1::integer) AS id`, [
    REFRESH_SESSIONS,
  ]);
}

/** `workers` loops, each committing one single-row update on its own row, for `seconds`. */
async function writeCeiling(pool: pg.Pool, workers: number, seconds: number): Promise<Run> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < end) {
        const sent = performance.now();
        try {
          await pool.query(`UPDATE ${CEILING_TABLE} SET writes = writes + 1, written_at = now() WHERE id = $1 RETURNING writes`, [
            worker + 1,
          ]);
          latencies.push(performance.now() - sent);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ok: latencies.length,
    errors,
    non2xx: 0,
    seconds: elapsed,
  };
}

/** Milliseconds of one bcrypt check at `cost` on the pool, `count` times one after the other. */
async function hashTimes(pool: Piscina, hash: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await pool.run({ password: PASSWORD, hash }, { name: 'compare' });
    times.push(performance.now() - started);
  }
  return times;
}

const failures = (runs: Run[]) => runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0);
const range = (values: number[]) => ({ measured: median(values), min: Math.min(...values), max: Math.max(...values) });

/** Runs every case, prints the table and the targets, and returns all of it. */
export async function runThroughput(settings: ThroughputSettings): Promise<Record<string, unknown>> {
  const { connections, warmup, duration, rounds } = settings;
  const names = caseNames(settings);
  const cores = availableParallelism();
  console.log(
    `Throughput: ${connections} connections (refresh ${REFRESH_SESSIONS}, login ${LOGIN_CONNECTIONS}, probe ${PROBE_CONNECTIONS} at ${settings.probeRate} req/s); ` +
      `${warmup} s warm-up per case, then ${rounds} rounds of ${duration} s per case (login ${duration * LOGIN_DURATION_FACTOR} s); bcrypt cost ${settings.bcryptCost}; ` +
      `database pool ${process.env.DATABASE_URL ? settings.poolSize : 1}`,
  );

  const started: { services: Service[]; minimal?: ChildProcess; ceiling?: pg.Pool; hasher?: Piscina } = { services: [] };
  try {
    process.stdout.write('Starting the service, the service with AUTH_CACHE_TTL=0 and the minimal app…');
    const service = await startService(settings.port, settings, {});
    started.services.push(service);
    const uncached = await startService(settings.port + 1, settings, { AUTH_CACHE_TTL: '0' });
    started.services.push(uncached);
    const minimalBase = `http://127.0.0.1:${settings.port + 2}`;
    started.minimal = await startServer(
      minimalBase,
      { ...process.env, NODE_ENV: 'production', PORT: String(settings.port + 2), HOST: '127.0.0.1' },
      { script: 'bench/dist/minimal/main.js', ready: '/' },
    );
    const ceiling = ceilingPool(service, settings);
    started.ceiling = ceiling;
    await prepareCeiling(ceiling);
    const hasher = new Piscina({
      filename: pathToFileURL(join(ROOT, 'dist/auth/password.worker.cjs')).href,
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
    });
    started.hasher = hasher;
    const storedHash = (await hasher.run({ password: PASSWORD, cost: settings.bcryptCost }, { name: 'hash' })) as string;
    if (bcrypt.getRounds(storedHash) !== settings.bcryptCost) throw new Error('the worker hashed at another cost');
    process.stdout.write(' ready\n');

    const me = (subject: Service): Options => ({
      url: `${subject.base}/api/v1/auth/me`,
      headers: { authorization: `Bearer ${subject.accessToken}` },
      connections,
    });
    const login: Options = {
      url: `${service.base}/api/v1/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: service.email, password: PASSWORD }),
      connections: LOGIN_CONNECTIONS,
    };
    const probe = (seconds: number) =>
      fixedRate(
        `${service.base}/api/v1/auth/me`,
        { authorization: `Bearer ${service.accessToken}` },
        { rate: settings.probeRate, connections: PROBE_CONNECTIONS, seconds },
      );
    // Fresh sessions for every refresh run: a run ends with requests in flight, whose tokens are spent.
    const freshSessions = () =>
      Promise.all(
        Array.from(
          { length: REFRESH_SESSIONS },
          async () =>
            (await post(service.base, '/api/v1/auth/login', { email: service.email, password: PASSWORD })).refreshToken as string,
        ),
      );

    /** One run of every case, in order; `seconds` per run. */
    async function round(seconds: number): Promise<{ runs: Record<Case, Run>; hashMs: number[] }> {
      const runs: Partial<Record<Case, Run>> = {};
      const run = async (name: Case, measure: () => Promise<Run>) => {
        runs[name] = await measure();
        process.stdout.write(` ${name}`);
      };
      await run('minimal', () => timed({ url: `${minimalBase}/`, connections, duration: seconds }));
      await run('live', () => timed({ url: `${service.base}/health/live`, connections, duration: seconds }));
      await run('me', () => timed({ ...me(service), duration: seconds }));
      await run('meUncached', () => timed({ ...me(uncached), duration: seconds }));
      const sessions = await freshSessions();
      await settle(service.server);
      await run('refresh', () => timed({ ...refreshChain(service.base, sessions), duration: seconds }));
      await run('writeCeiling', () => writeCeiling(ceiling, REFRESH_SESSIONS, seconds));
      const hashMs = await hashTimes(hasher, storedHash, HASHES_PER_ROUND);
      await run('login', () => timed({ ...login, duration: seconds * LOGIN_DURATION_FACTOR }));
      await settle(service.server);
      await run('probeRest', () => probe(seconds));
      const storm = timed({ ...login, duration: seconds + (2 * STORM_LEAD_MS) / 1000 });
      await sleep(STORM_LEAD_MS);
      await run('probeStorm', () => probe(seconds));
      await run('storm', () => storm);
      await settle(service.server);
      return { runs: runs as Record<Case, Run>, hashMs };
    }

    process.stdout.write('  warm-up:');
    const warm = await round(warmup);
    process.stdout.write('\n');
    const rssAfterWarmup = { service: rssKiB(service.server), uncached: rssKiB(uncached.server) };
    if (failures(Object.values(warm.runs)) > 0) console.log('  (the warm-up had failed requests; see the runs below)');

    const runs = Object.fromEntries(CASES.map((name) => [name, [] as Run[]])) as Record<Case, Run[]>;
    const hashMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      process.stdout.write(`  round ${i + 1}:`);
      const result = await round(duration);
      for (const name of CASES) runs[name].push(result.runs[name]);
      hashMs.push(...result.hashMs);
      process.stdout.write('\n');
    }
    const rssAfter = { service: rssKiB(service.server), uncached: rssKiB(uncached.server) };

    const hashMedianMs = median(hashMs);
    const loginCeiling = cores / (hashMedianMs / 1000);
    const perRound = (numerator: (i: number) => number) => Array.from({ length: rounds }, (_, i) => numerator(i));
    const share = (name: Case, of: Case) => perRound((i) => runs[name][i].rps / runs[of][i].rps);

    const target = (
      text: string,
      values: { measured: number; min: number; max: number },
      unit: Target['unit'],
      threshold: number,
      cases: Case[],
    ): Target => {
      const meets = unit === '%' ? values.measured >= threshold : values.measured <= threshold;
      const failed = cases.filter((name) => failures(runs[name]) > 0);
      const note = failed.length ? `failed requests in: ${failed.map((name) => names[name]).join('; ')}` : undefined;
      return { target: text, ...values, unit, met: meets && !note, ...(note && { note }) };
    };
    const rss = (after: number, before: number) => ({ measured: after / before, min: after / before, max: after / before });
    const targets: Target[] = [
      target('`/health/live` ≥ 85% of the minimal app', range(share('live', 'minimal')), '%', 0.85, ['live', 'minimal']),
      target('`/auth/me` ≥ 70% of the minimal app, identity cache on', range(share('me', 'minimal')), '%', 0.7, [
        'me',
        'minimal',
      ]),
      target('`/auth/me` ≥ 35% of the minimal app, `AUTH_CACHE_TTL=0`', range(share('meUncached', 'minimal')), '%', 0.35, [
        'meUncached',
        'minimal',
      ]),
      target(
        `\`/auth/me\` p99 at ${settings.probeRate} req/s during a login storm ≤ 2× at rest`,
        range(perRound((i) => runs.probeStorm[i].p99 / runs.probeRest[i].p99)),
        '×',
        2,
        ['probeRest', 'probeStorm', 'storm'],
      ),
      target('refresh ≥ 50% of the database single-write ceiling', range(share('refresh', 'writeCeiling')), '%', 0.5, [
        'refresh',
        'writeCeiling',
      ]),
      target(
        `login ≥ 90% of the login ceiling (${cores} cores ÷ ${hashMedianMs.toFixed(0)} ms per hash = ${loginCeiling.toFixed(2)}/s)`,
        range(perRound((i) => runs.login[i].rps / loginCeiling)),
        '%',
        0.9,
        ['login'],
      ),
      target(
        'service RSS after the run within 20% of after warm-up',
        rss(rssAfter.service, rssAfterWarmup.service),
        '×',
        1.2,
        [],
      ),
      target(
        '`AUTH_CACHE_TTL=0` service RSS after the run within 20% of after warm-up',
        rss(rssAfter.uncached, rssAfterWarmup.uncached),
        '×',
        1.2,
        [],
      ),
    ];

    const cases = Object.fromEntries(
      CASES.map((name) => {
        const caseRuns = runs[name];
        return [
          name,
          {
            name: names[name],
            rps: range(caseRuns.map((r) => r.rps)),
            ...(SHARE_OF_MINIMAL.has(name) && { shareOfMinimal: range(share(name, 'minimal')) }),
            p50: median(caseRuns.map((r) => r.p50)),
            p99: median(caseRuns.map((r) => r.p99)),
            errors: caseRuns.reduce((sum, r) => sum + r.errors, 0),
            non2xx: caseRuns.reduce((sum, r) => sum + r.non2xx, 0),
            runs: caseRuns,
          },
        ];
      }),
    ) as Record<Case, CaseSummary>;
    printTables(cases, targets, settings);
    console.log(
      `\nLogin ceiling: one bcrypt check at cost ${settings.bcryptCost} on a piscina worker, ${hashMs.length} timings, median ${hashMedianMs.toFixed(0)} ms ` +
        `(${Math.min(...hashMs).toFixed(0)}–${Math.max(...hashMs).toFixed(0)}); ${cores} cores → ${loginCeiling.toFixed(2)} logins/s.`,
    );
    console.log(
      `RSS, MiB after warm-up → after the run: service ${mib(rssAfterWarmup.service)} → ${mib(rssAfter.service)}, ` +
        `AUTH_CACHE_TTL=0 service ${mib(rssAfterWarmup.uncached)} → ${mib(rssAfter.uncached)}.`,
    );

    return {
      settings: {
        ...settings,
        refreshConnections: REFRESH_SESSIONS,
        loginConnections: LOGIN_CONNECTIONS,
        loginDuration: settings.duration * LOGIN_DURATION_FACTOR,
        probeConnections: PROBE_CONNECTIONS,
        poolSize: process.env.DATABASE_URL ? settings.poolSize : 1,
      },
      cases,
      loginCeiling: { cores, hashMs, hashMedianMs, perSecond: loginCeiling },
      rssKiB: { afterWarmup: rssAfterWarmup, after: rssAfter },
      targets,
    };
  } finally {
    await started.hasher?.destroy();
    await started.ceiling?.end();
    if (started.minimal) await stopServer(started.minimal);
    for (const service of started.services) {
      await stopServer(service.server);
      await service.database.drop();
    }
  }
}

interface CaseSummary {
  name: string;
  rps: { measured: number; min: number; max: number };
  shareOfMinimal?: { measured: number; min: number; max: number };
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  runs: Run[];
}

const mib = (kib: number) => (kib / 1024).toFixed(0);
const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
const times = (value: number) => `${value.toFixed(2)}×`;
const fixed = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

function printTables(cases: Record<Case, CaseSummary>, targets: Target[], settings: ThroughputSettings): void {
  console.log(
    '\n| case | req/s | share of the minimal app | p50 ms | p99 ms | errors | non-2xx |\n|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const name of CASES) {
    const c = cases[name];
    const share = c.shareOfMinimal
      ? `${percent(c.shareOfMinimal.measured)} (${percent(c.shareOfMinimal.min)}–${percent(c.shareOfMinimal.max)})`
      : '';
    console.log(
      `| ${c.name} | ${fixed(c.rps.measured)} (${fixed(c.rps.min)}–${fixed(c.rps.max)}) | ${share} | ${fixed(c.p50)} | ${fixed(c.p99)} | ${c.errors} | ${c.non2xx} |`,
    );
  }
  console.log(
    `\nMedian of ${settings.rounds} rounds (min–max in brackets); the share is taken within each round. ` +
      'Errors and non-2xx: totals over the rounds.',
  );
  console.log('\n| target | measured (min–max) | met |\n|---|---:|:---:|');
  for (const t of targets) {
    const format = t.unit === '%' ? percent : times;
    const spread = t.min === t.max ? '' : ` (${format(t.min)}–${format(t.max)})`;
    console.log(`| ${t.target} | ${format(t.measured)}${spread} | ${t.met ? 'met' : 'not met'}${t.note ? ` (${t.note})` : ''} |`);
  }
}
