import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp } from '../../src/app.setup.js';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  http: TestAgent;
  dataDir: string;
  /** The database this app uses: a fresh one on DATABASE_URL's server, or embedded under dataDir. */
  databaseName: string | null;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a data folder (embedded restarts). */
  dataDir?: string;
  /** Ignore DATABASE_URL and run on embedded PGlite. */
  embedded?: boolean;
}

/** Every app of one test file signs with the same key, so a restart keeps tokens valid. */
const JWT_SECRET = randomBytes(48).toString('base64url');

/**
 * Starts the real application, built as `main.ts` builds it, on a fresh database: a new database
 * on DATABASE_URL's server when that is set, else embedded PGlite in a new data folder.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const serverUrl = options.embedded ? undefined : process.env.DATABASE_URL;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'auth-e2e-'));
  const database = serverUrl ? await createDatabase(serverUrl) : null;
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    JWT_SECRET,
    BCRYPT_COST: '4',
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    CORS_ORIGINS: undefined,
    ADMIN_EMAIL: undefined,
    ADMIN_PASSWORD: undefined,
    ...options.env,
  };

  const restoreEnv = applyEnv(env);
  let app: NestFastifyApplication;
  try {
    app = await createApp({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
  } finally {
    restoreEnv();
  }
  const url = await app.getUrl();
  return {
    app,
    url,
    http: request(url),
    dataDir,
    databaseName: database?.name ?? null,
    async close({ keepData = false } = {}) {
      await app.close();
      if (database) await dropDatabase(serverUrl!, database.name);
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function applyEnv(env: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  set(env);
  return () => set(saved);
}

export async function withAdminClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(serverUrl: string): Promise<{ name: string; url: string }> {
  const name = `auth_e2e_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}
