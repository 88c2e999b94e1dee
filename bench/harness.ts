/** What every bench case shares: a fresh database, the servers started on it, a timed run and the process figures. */
import autocannon, { type Options } from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The password of every account the bench registers. */
export const PASSWORD = 'benchmark passphrase 2026';

/** Sessions rotated at once in every refresh case (and workers of the write ceiling beside it). */
export const REFRESH_SESSIONS = 16;

/** One timed run. Throughput counts the 2xx answers only, so failures never pass for speed. */
export interface Run {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  errors: number;
  non2xx: number;
  seconds: number;
}

/** The middle value; of an even count, the upper of the two middle ones. */
export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** `fraction` (0–1) of the way through `sorted`, by the nearest rank. */
export const percentile = (sorted: number[], fraction: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];

/**
 * Runs autocannon and counts its 2xx answers: req/s is that count over the time from the start to the
 * last answer, so a run of a set request count compares with a timed one. Latencies are autocannon's
 * (corrected for coordinated omission when a rate is set).
 */
export function timed(options: Options): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let last = started;
    let ok = 0;
    const instance = autocannon(options, (error: Error | null, result) => {
      if (error) return reject(error);
      const seconds = (last - started) / 1000;
      resolve({
        rps: ok === 0 ? 0 : ok / seconds,
        p50: result.latency.p50,
        p99: result.latency.p99,
        ok,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
        seconds,
      });
    });
    instance.on('response', (_client, status) => {
      last = performance.now();
      if (status >= 200 && status < 300) ok++;
    });
  });
}

/**
 * An open-loop probe: `rate` GET requests per second, evenly spaced, over at most `connections`
 * keep-alive connections, for `seconds`. Each latency runs from the moment its request was due, so a
 * request that waits for a free connection counts its wait: a slow server cannot hide behind fewer
 * requests, as it can in a closed loop. (autocannon's own rate limit sends each second's requests in
 * one burst at the top of the second, and corrects for coordinated omission with a 1 ms interval.)
 */
export async function fixedRate(
  url: string,
  headers: Record<string, string>,
  { rate, connections, seconds }: { rate: number; connections: number; seconds: number },
): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let last = 0;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const request = get(url, { agent, headers, timeout: 10_000 }, (response) => {
        response.resume();
        response.on('end', () => {
          last = performance.now();
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) latencies.push(last - due);
          else non2xx++;
          resolve();
        });
      });
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', () => {
        errors++;
        resolve();
      });
    });
  const started = performance.now();
  const answers: Promise<void>[] = [];
  for (let i = 0; i < Math.round(rate * seconds); i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    answers.push(send(due));
  }
  await Promise.all(answers);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const elapsed = (last - started) / 1000;
  return {
    rps: latencies.length === 0 ? 0 : latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    ok: latencies.length,
    errors,
    non2xx,
    seconds: elapsed,
  };
}

export async function post(base: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * Refreshing spends the token: each request takes a live token from the pool and its answer puts the
 * successor back (autocannon resets per-connection context between requests, so it cannot hold them).
 * `onAccessToken` receives the access token of every successful refresh.
 */
export function refreshChain(base: string, tokens: string[], onAccessToken?: (token: string) => void): Options {
  const pool = [...tokens];
  return {
    url: `${base}/api/v1/auth/refresh`,
    connections: tokens.length,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: JSON.stringify({ refreshToken: pool.shift() }) }),
        onResponse: (status, body) => {
          if (status !== 200) return;
          const answer = JSON.parse(body) as { refreshToken: string; accessToken: string };
          pool.push(answer.refreshToken);
          onAccessToken?.(answer.accessToken);
        },
      },
    ],
  };
}

/** A database of its own: on the Postgres server of DATABASE_URL when set, else embedded storage in `dataDir`. */
export interface BenchDatabase {
  url: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export async function freshDatabase(): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-bench-'));
  const dbName = `auth_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  let url: string | undefined;
  if (serverUrl) {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
    const parsed = new URL(serverUrl);
    parsed.pathname = `/${dbName}`;
    url = parsed.toString();
  }
  return {
    url,
    dataDir,
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      if (!serverUrl) return;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** The production settings every bench server runs with, limits off; `extra` adds or overrides. */
export function serviceEnv(port: number, database: BenchDatabase, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    APP_URL: 'https://bench.invalid',
    MAIL_TRANSPORT: 'outbox',
    RATE_LIMIT: 'off',
    DATA_DIR: database.dataDir,
    DATABASE_URL: database.url ?? '',
    REDIS_URL: '',
    ...extra,
  };
}

/**
 * Starts `script` (the service's production build unless told otherwise) with the same Node as this
 * process, and waits until GET `ready` answers 2xx.
 */
export async function startServer(
  base: string,
  env: NodeJS.ProcessEnv,
  { script = 'dist/main.js', ready = '/health' }: { script?: string; ready?: string } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  // The service logs a line per request: keep only the tail (for a failed start), or this process
  // spends the load generator's CPU growing one string.
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-65_536));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}${ready}`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await sleep(200);
  }
  child.kill();
  throw new Error(`${script} did not start:\n${log}`);
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User plus system CPU seconds the process (every thread) has used so far, from /proc. */
export function cpuSeconds(child: ChildProcess): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** The process's resident memory (VmRSS), KiB. */
export function rssKiB(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/**
 * Waits until the process has gone quiet (under a tenth of a core over 250 ms), at most `maxSeconds`:
 * a load generator that stops drops its requests in flight, but the server still does their work
 * (logins queued for the hash workers), which would fall on the next case.
 */
export async function settle(child: ChildProcess, maxSeconds = 15): Promise<void> {
  let before = cpuSeconds(child);
  for (let waited = 0; waited < maxSeconds * 1000; waited += 250) {
    await sleep(250);
    const now = cpuSeconds(child);
    if (now - before < 0.025) return;
    before = now;
  }
}
