/**
 * `npm run bench`: starts the production build (node dist/main.js, NODE_ENV=production) on the local
 * Postgres (DATABASE_URL, a fresh database) or on embedded storage, and measures it with autocannon
 * on loopback. Each case runs a warm-up, then REPEATS timed runs; the table shows the median run.
 * Results also go to bench/results/<time>.json.
 */
import autocannon, { type Result } from 'autocannon';
import bcrypt from 'bcryptjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const ROOT = resolve(import.meta.dirname, '../..');
const PORT = 39_000 + Math.floor(Math.random() * 1000);
const BASE = `http://127.0.0.1:${PORT}`;
const COST = 12;
const CONNECTIONS = 50;
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = 2;
const REPEATS = 3;
const PASSWORD = 'benchmark passphrase 2026';

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

function summary(result: Result): Run {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const medianRun = (runs: Run[]): Run => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];

async function post(path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${BASE}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

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

/**
 * Refreshing spends the token: each request takes a live token from the pool and its answer puts the
 * successor back (autocannon resets per-connection context between requests, so it cannot hold them).
 */
function refreshChain(tokens: string[]): autocannon.Options {
  const pool = [...tokens];
  return {
    url: `${BASE}/api/v1/auth/refresh`,
    connections: tokens.length,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ refreshToken: pool.shift() }) }),
        onResponse: (status, body) => {
          if (status === 200) pool.push((JSON.parse(body) as { refreshToken: string }).refreshToken);
        },
      },
    ],
  };
}

function rssKiB(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function startServer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${BASE}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`the server did not start:\n${log}`);
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-bench-'));
  let databaseUrl: string | undefined;
  const dbName = `auth_bench_${Date.now()}`;
  if (serverUrl) {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }

  console.log(
    `Benchmark: ${availableParallelism()} cores, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${REPEATS} × ${DURATION} s per case, bcrypt cost ${COST}, ${databaseUrl ? 'Postgres server' : 'embedded PGlite'}`,
  );
  const server = await startServer({
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(PORT),
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    APP_URL: 'https://bench.invalid',
    MAIL_TRANSPORT: 'outbox',
    BCRYPT_COST: String(COST),
    RATE_LIMIT: 'off',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? '',
    REDIS_URL: '',
  });

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
    await cannon({ ...refreshChain(await freshSessions()), duration: WARMUP });
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

    const refreshRun = await measure('POST /api/v1/auth/refresh', async () => refreshChain(await freshSessions()));

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

    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const file = join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        { cores, cost: COST, hashMs, ceiling, rssAfterWarmup, rssAfter, cases: Object.fromEntries(rows), targets },
        null,
        2,
      ),
    );
    console.log(`Results: ${file}`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    if (serverUrl) {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
    }
  }
}

await main();
