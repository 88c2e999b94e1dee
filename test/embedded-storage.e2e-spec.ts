import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createLogger } from '../src/app.setup.js';
import { EMBEDDED_POSTGRES } from '../src/database/database.module.js';
import { DataDirInUseError, EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { bearer, login, registerUser } from './support/factories.js';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './support/test-app.js';

/** The folder of the socket `pg` reaches embedded Postgres on. */
function socketDir(test: TestApp): string {
  const { connection } = test.app.get<EmbeddedPostgres>(EMBEDDED_POSTGRES);
  if (!('host' in connection)) throw new Error('not embedded');
  return connection.host;
}

/** Leaves what a process killed while holding the data folder leaves: its lock socket, bound and never closed. */
function crashWhileHolding(dataDir: string): void {
  const script = "require('node:net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))";
  const child = spawnSync(process.execPath, ['-e', script, join(dataDir, 'pgdata.lock')], { timeout: 10_000 });
  expect(child.signal).toBe('SIGKILL');
  expect(statSync(join(dataDir, 'pgdata.lock')).isSocket()).toBe(true);
}

describe('embedded storage (e2e)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ embedded: true });
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('should keep users, sessions and tokens across a restart of the app', async () => {
    const first = await startTestApp({ database });
    const { email, password, accessToken, refreshToken, user } = await registerUser(first, { name: 'Persistent' });
    await first.close();

    const second = await startTestApp({ database });
    try {
      expect((await second.http.get('/api/v1/auth/me').set(bearer(accessToken))).body).toEqual(user);
      expect((await second.http.post('/api/v1/auth/refresh').send({ refreshToken })).status).toBe(200);
      expect((await login(second, email, password)).user.id).toBe(user.id);
    } finally {
      await second.close();
    }
  });

  it('should start after a crash that left its lock, and ignore an old lock file naming a live process that is not this service', async () => {
    crashWhileHolding(database.dataDir);
    // A reused PID: the old lock file format named a process that is alive but is not the service.
    writeFileSync(join(database.dataDir, 'pgdata.pid'), String(process.ppid));

    const app = await startTestApp({ database });

    expect((await app.http.get('/health')).status).toBe(200);
    await app.close();
    expect(existsSync(join(database.dataDir, 'pgdata.lock'))).toBe(false);
  });

  it('should let exactly one of two starts racing after a crash hold the data folder', async () => {
    crashWhileHolding(database.dataDir);

    const starts = await Promise.allSettled([EmbeddedPostgres.start(database.dataDir), EmbeddedPostgres.start(database.dataDir)]);

    const started = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
    try {
      expect(started).toHaveLength(1);
      expect(starts.flatMap((start) => (start.status === 'rejected' ? [start.reason as unknown] : []))).toEqual([
        expect.any(DataDirInUseError),
      ]);
      await expect(EmbeddedPostgres.isInUse(database.dataDir)).resolves.toBe(true);
    } finally {
      await Promise.all(started.map((embedded) => embedded.stop()));
    }
  });

  it('should recover the guard of a stale-lock recovery that crashed', async () => {
    crashWhileHolding(database.dataDir);
    const guard = join(database.dataDir, 'pgdata.lock.recovery');
    mkdirSync(guard);
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(guard, minuteAgo, minuteAgo);

    const embedded = await EmbeddedPostgres.start(database.dataDir);

    await embedded.stop();
    expect(existsSync(guard)).toBe(false);
  });

  it('should keep its socket folder in the data folder, and clear what a crash left there at the next start', async () => {
    const first = await startTestApp({ database });
    const folder = socketDir(first);
    await first.close();
    expect(folder).toBe(join(realpathSync(database.dataDir), 'pgsocket'));
    expect(existsSync(folder)).toBe(false);
    // What a crash leaves: the folder, with the socket file in it.
    mkdirSync(folder);
    writeFileSync(join(folder, '.s.PGSQL.5432'), '');

    const second = await startTestApp({ database });
    try {
      expect(socketDir(second)).toBe(folder);
      expect((await second.http.get('/health')).status).toBe(200);
    } finally {
      await second.close();
    }
    expect(existsSync(folder)).toBe(false);
  });

  it('should refuse a second app on the same data folder while the first runs, saying what to do', async () => {
    const running = await startTestApp({ database });
    const serverUrl = process.env.DATABASE_URL;
    try {
      delete process.env.DATABASE_URL;
      process.env.DATA_DIR = database.dataDir;
      const refusal = createApp({ logger: createLogger({ level: 'silent' }) });
      await expect(refusal).rejects.toThrow(DataDirInUseError);
      await expect(refusal).rejects.toThrow(/another DATA_DIR.*DATABASE_URL/);
    } finally {
      delete process.env.DATA_DIR;
      if (serverUrl) process.env.DATABASE_URL = serverUrl;
      await running.close();
    }
  });

  it('should lock a data folder whose path is too long for a socket, through private temporary folders it removes', async () => {
    const dataDir = join(database.dataDir, 'd'.repeat(120));
    // os.tmpdir() reads TMPDIR on each call: this test's own temporary folder shows what is left behind.
    const savedTmpdir = process.env.TMPDIR;
    const tmp = mkdtempSync(join(tmpdir(), 'auth-e2e-tmp-'));
    process.env.TMPDIR = tmp;
    try {
      const first = await EmbeddedPostgres.start(dataDir);
      try {
        expect(statSync(join(dataDir, 'pgdata.lock')).isSocket()).toBe(true);
        for (const entry of readdirSync(tmp)) {
          const stats = lstatSync(join(tmp, entry));
          expect({ entry, directory: stats.isDirectory(), mode: stats.mode & 0o777 }).toEqual({
            entry,
            directory: true,
            mode: 0o700,
          });
        }
        await expect(EmbeddedPostgres.isInUse(dataDir)).resolves.toBe(true);
        await expect(EmbeddedPostgres.start(dataDir)).rejects.toThrow(DataDirInUseError);
      } finally {
        await first.stop();
      }
      await expect(EmbeddedPostgres.isInUse(dataDir)).resolves.toBe(false);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (savedTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmpdir;
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
