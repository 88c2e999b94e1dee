import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.setup.js';
import { bearer, login, registerUser } from './support/factories.js';
import { createTestDatabase, startTestApp, type TestDatabase } from './support/test-app.js';

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

  it('should take over a lock left by a process that is gone, even one that had the same PID (a restarted container)', async () => {
    for (const stalePid of [process.pid, 2 ** 22 + 1]) {
      writeFileSync(join(database.dataDir, 'pgdata.pid'), String(stalePid));

      const app = await startTestApp({ database });

      expect((await app.http.get('/health')).status).toBe(200);
      await app.close();
      expect(existsSync(join(database.dataDir, 'pgdata.pid'))).toBe(false);
    }
  });

  it('should refuse a second app on the same data folder while the first runs', async () => {
    const running = await startTestApp({ database });
    const serverUrl = process.env.DATABASE_URL;
    try {
      delete process.env.DATABASE_URL;
      process.env.DATA_DIR = database.dataDir;
      await expect(createApp({ logger: false })).rejects.toThrow(/is in use by process \d+/);
    } finally {
      delete process.env.DATA_DIR;
      if (serverUrl) process.env.DATABASE_URL = serverUrl;
      await running.close();
    }
  });
});
