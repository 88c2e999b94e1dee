/**
 * `npm run bench`: starts the production build (node dist/main.js, NODE_ENV=production) on the local
 * Postgres (DATABASE_URL, a fresh database) or on embedded storage, and measures it with autocannon
 * on loopback. Each case runs a warm-up, then REPEATS timed runs; the table shows the median run.
 * Then the signing-algorithm comparison (algorithms.ts) on servers of its own; `npm run bench --
 * algorithms` runs only that. Results also go to bench/results/<time>.json.
 */
import autocannon, { type Result } from 'autocannon';
import bcrypt from 'bcryptjs';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ALGORITHMS, compareAlgorithms } from './algorithms.js';
import {
  freshDatabase,
  median,
  medianRun,
  post as postTo,
  refreshChain,
  ROOT,
  serviceEnv,
  startServer,
  stopServer,
  summary,
  type Run,
} from './harness.js';

const PORT = 39_000 + Math.floor(Math.random() * 1000);
const BASE = `http://127.0.0.1:${PORT}`;
const COST = 12;
const CONNECTIONS = 50;
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = 2;
const REPEATS = 3;
const PASSWORD = 'benchmark passphrase 2026';
/** Signing algorithms compared, HS256 (the baseline) among them. */
const ALGORITHMS_COMPARED = (process.env.BENCH_ALGORITHMS ?? 'ES256,HS256').split(',').map((name) => {
  const algorithm = ALGORITHMS.find((known) => known === name.trim());
  if (!algorithm) throw new Error(`BENCH_ALGORITHMS: unknown algorithm "${name}" (known: ${ALGORITHMS.join(', ')})`);
  return algorithm;
});
/** The comparison alternates its servers in more, shorter runs: background load then falls on each alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_DURATION = Number(process.env.BENCH_DURATION ?? 3);

const post = (path: string, body: unknown, token?: string) => postTo(BASE, path, body, token);

function cannon(options: autocannon.Options): Promise<Result> {
  return autocannon({ connections: CONNECTIONS, ...options, url: options.url ?? BASE });
}

async function measure(label: string, options: () => autocannon.Options | Promise<autocannon.Options>): Promise<Run> {
  process.stdout.write(`  ${label}: warm-up`);
  await cannon({ ...(await options()), duration: WARMUP });
  const runs: Run[] = [];
  for (let i = 0; i < REPEATS; i++) {
    process.stdout.write(` · run ${i + 1}`);
    runs.push(summary(await cannon({ ...(await options()), duration: DURATION })));
  }
  process.stdout.write('\n');
  return medianRun(runs);
}

function rssKiB(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** The service's cases and targets, on one server with the default settings. */
async function serviceCases(): Promise<Record<string, unknown>> {
  const database = await freshDatabase();
  console.log(
    `Benchmark: ${availableParallelism()} cores, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${REPEATS} × ${DURATION} s per case, bcrypt cost ${COST}, ${database.url ? 'Postgres server' : 'embedded PGlite'}`,
  );
  const server = await startServer(BASE, serviceEnv(PORT, database, { BCRYPT_COST: String(COST) }));

  try {
    const email = `bench-${Date.now()}@example.com`;
    const registered = await post('/api/v1/auth/register', { email, password: PASSWORD });
    const accessToken = registered.accessToken as string;
    const bare = { url: `${BASE}/health/live` };
    const me = { url: `${BASE}/api/v1/auth/me`, headers: { authorization: `Bearer ${accessToken}` } };
    const login = {
      url: `${BASE}/api/v1/auth/login`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
      connections: 8,
    };

    // Fresh sessions for every refresh run: the tokens of the last run are spent.
    const freshSessions = () =>
      Promise.all(
        Array.from(
          { length: 16 },
          async () => (await post('/api/v1/auth/login', { email, password: PASSWORD })).refreshToken as string,
        ),
      );

    console.log('Warming up every case…');
    await cannon({ ...bare, duration: WARMUP });
    await cannon({ ...me, duration: WARMUP });
    await cannon({ ...login, duration: WARMUP });
    await cannon({ ...refreshChain(BASE, await freshSessions()), duration: WARMUP });
    const rssAfterWarmup = rssKiB(server);

    console.log('Cases:');
    const bareRun = await measure('bare route (GET /health/live)', () => bare);
    const meRun = await measure('GET /api/v1/auth/me', () => me);
    const loginRun = await measure('POST /api/v1/auth/login', () => login);

    process.stdout.write('  /auth/me during a login storm: warm-up');
    const stormRuns: Run[] = [];
    for (let i = 0; i <= REPEATS; i++) {
      const duration = i === 0 ? WARMUP : DURATION;
      const storm = cannon({ ...login, duration: duration + 1 });
      await new Promise((r) => setTimeout(r, 500));
      const result = summary(await cannon({ ...me, duration }));
      await storm;
      if (i > 0) stormRuns.push(result);
      process.stdout.write(i === 0 ? '' : ` · run ${i}`);
    }
    process.stdout.write('\n');
    const stormRun = medianRun(stormRuns);

    const refreshRun = await measure('POST /api/v1/auth/refresh', async () => refreshChain(BASE, await freshSessions()));

    const hashTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      bcrypt.hashSync(PASSWORD, COST);
      hashTimes.push(performance.now() - started);
    }
    const hashMs = median(hashTimes);
    const cores = availableParallelism();
    const ceiling = cores / (hashMs / 1000);
    const rssAfter = rssKiB(server);

    const rows: Array<[string, Run]> = [
      ['bare route', bareRun],
      ['GET /auth/me', meRun],
      ['POST /auth/login', loginRun],
      ['/auth/me during login storm', stormRun],
      ['POST /auth/refresh', refreshRun],
    ];
    console.log('\n| case | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---:|---:|---:|---:|---:|');
    for (const [name, run] of rows)
      console.log(`| ${name} | ${run.rps.toFixed(0)} | ${run.p50} | ${run.p99} | ${run.errors} | ${run.non2xx} |`);
    console.log(
      `\nbcrypt cost ${COST}: one hash ${hashMs.toFixed(0)} ms (median of 5) × ${cores} cores → login ceiling ${ceiling.toFixed(2)}/s`,
    );

    const targets = [
      {
        target: '/auth/me ≥ 70% of the bare route',
        measured: meRun.rps / bareRun.rps,
        met: meRun.rps / bareRun.rps >= 0.7,
        unit: '%',
      },
      {
        target: 'login ≥ 85% of the login ceiling',
        measured: loginRun.rps / ceiling,
        met: loginRun.rps / ceiling >= 0.85,
        unit: '%',
      },
      {
        target: '/auth/me p99 in a login storm ≤ 2× at rest',
        measured: stormRun.p99 / meRun.p99,
        met: stormRun.p99 <= 2 * meRun.p99,
        unit: '×',
      },
      {
        target: 'refresh ≥ 50% of the bare route',
        measured: refreshRun.rps / bareRun.rps,
        met: refreshRun.rps / bareRun.rps >= 0.5,
        unit: '%',
      },
      {
        target: 'RSS after the run within 20% of after warm-up',
        measured: rssAfter / rssAfterWarmup,
        met: rssAfter <= rssAfterWarmup * 1.2,
        unit: '×',
      },
    ];
    console.log('\n| target | measured | met |\n|---|---:|:---:|');
    for (const t of targets) {
      const measured = t.unit === '%' ? `${(t.measured * 100).toFixed(0)}%` : `${t.measured.toFixed(2)}×`;
      console.log(`| ${t.target} | ${measured} | ${t.met ? 'yes' : 'no'} |`);
    }
    console.log(
      `\nRSS: ${(rssAfterWarmup / 1024).toFixed(0)} MiB after warm-up, ${(rssAfter / 1024).toFixed(0)} MiB after the run`,
    );

    return { cost: COST, hashMs, ceiling, rssAfterWarmup, rssAfter, cases: Object.fromEntries(rows), targets };
  } finally {
    await stopServer(server);
    await database.drop();
  }
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined && only !== 'algorithms') throw new Error(`unknown argument "${only}"; the one there is: algorithms`);
  const results: Record<string, unknown> = { cores: availableParallelism() };
  if (only === undefined) Object.assign(results, await serviceCases());
  results.algorithms = await compareAlgorithms({
    algorithms: ALGORITHMS_COMPARED,
    firstPort: PORT + 1,
    connections: CONNECTIONS,
    warmup: WARMUP,
    duration: ROUND_DURATION,
    rounds: ROUNDS,
  });

  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`Results: ${file}`);
}

await main();
