import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp, createLogger } from '../../src/app.setup.js';
import type { AppLogger } from '../../src/common/logging/app-logger.js';

export interface TestApp {
  app: NestFastifyApplication;
  url: string;
  http: TestAgent;
  database: TestDatabase;
  close(): Promise<void>;
}

/** A fresh database: a new one on DATABASE_URL's server when that is set, else a new embedded data folder. */
export interface TestDatabase {
  dataDir: string;
  /** Set on a server database; unset means embedded PGlite under dataDir. */
  url?: string;
  drop(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** A database made by createTestDatabase, kept when the app closes (restarts); by default each app has its own. */
  database?: TestDatabase;
  /** By default errors only, printed: tests stay quiet. `captureLogs()` (support/logs.ts) keeps them. */
  logger?: AppLogger;
  /** The loopback port to listen on (default: any free one), for a test that must know APP_URL before the start. */
  port?: number;
}

/** The base of links in mails during tests. */
export const TEST_APP_URL = 'https://app.test';

/** Every app of one test file signs with the same key, so a restart keeps tokens valid. */
export const TEST_JWT_SECRET = randomBytes(48).toString('base64url');

export async function createTestDatabase(options: { embedded?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-e2e-'));
  const serverUrl = options.embedded ? undefined : process.env.DATABASE_URL;
  if (!serverUrl) {
    return { dataDir, drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })) };
  }
  const name = `auth_e2e_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    dataDir,
    url: url.toString(),
    drop: async () => {
      await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts the real application, built as `main.ts` builds it, listening on a loopback port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const restoreEnv = applyEnv({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    BCRYPT_COST: '4',
    DATA_DIR: database.dataDir,
    DATABASE_URL: database.url,
    CORS_ORIGINS: undefined,
    ADMIN_EMAIL: undefined,
    ADMIN_PASSWORD: undefined,
    JWT_REFRESH_REUSE_WINDOW: undefined,
    JWT_ISSUER: undefined,
    JWT_AUDIENCE: undefined,
    JWT_ALGORITHM: undefined,
    JWT_KEY_ROTATION: undefined,
    JWKS_MAX_AGE: undefined,
    APP_URL: TEST_APP_URL,
    SMTP_URL: undefined,
    MAIL_TRANSPORT: undefined,
    DOCS_ENABLED: undefined,
    MAIL_FROM: undefined,
    REQUIRE_EMAIL_VERIFICATION: undefined,
    REQUIRE_EMAIL: undefined,
    // Functional tests share one client IP; the abuse tests turn the limits on.
    RATE_LIMIT: 'off',
    REDIS_URL: undefined,
    TRUST_PROXY: undefined,
    LOG_LEVEL: undefined,
    LOG_FORMAT: undefined,
    METRICS_TOKEN: undefined,
    // No scheduled purge deleting a test's rows under it; the retention tests turn it on or call it.
    PURGE_INTERVAL: 'off',
    SESSION_RETENTION: undefined,
    AUDIT_RETENTION: undefined,
    PURGE_BATCH_SIZE: undefined,
    REQUIRE_MFA_FOR_ADMINS: undefined,
    WEBAUTHN_RP_ID: undefined,
    WEBAUTHN_RP_NAME: undefined,
    OAUTH_PROVIDERS: undefined,
    OAUTH_REDIRECT_ALLOWLIST: undefined,
    ...options.env,
  });
  let app: NestFastifyApplication;
  try {
    app = await createApp({ logger: options.logger ?? createLogger({ level: 'error' }) });
    await app.listen(options.port ?? 0, '127.0.0.1').catch(async (error: unknown) => {
      await app.close();
      if (!options.database) await database.drop();
      throw error;
    });
  } finally {
    restoreEnv();
  }
  const url = await app.getUrl();
  return {
    app,
    url,
    http: request(url),
    database,
    async close() {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}

/** Sets (or, for undefined, removes) environment variables; the returned function puts them back. */
export function applyEnv(env: Record<string, string | undefined>): () => void {
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
