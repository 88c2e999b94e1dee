/** What every bench case shares: a fresh database, the production build started on it, and a run's summary. */
import type { Options, Result } from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export function summary(result: Result): Run {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
export const medianRun = (runs: Run[]): Run => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];

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

export async function startServer(base: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`the server did not start:\n${log}`);
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}
