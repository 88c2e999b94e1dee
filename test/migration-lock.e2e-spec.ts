import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrationsLocked, typeOrmOptions } from '../src/database/typeorm-options.js';
import { createTestDatabase, type TestDatabase } from './support/test-app.js';

// Instances starting together on a Postgres server take turns on the migration lock.
describe.runIf(process.env.DATABASE_URL)('the migration lock (e2e, Postgres server)', () => {
  let database: TestDatabase;
  let holder: pg.Client;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    dataSource = await new DataSource(typeOrmOptions({ url: database.url! }, 1)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await holder?.end();
    await database?.drop();
  });

  it('should wait for the lock without a statement open, then migrate once it is free', async () => {
    // The instance migrating first holds the lock.
    await holder.query("SELECT pg_advisory_lock(hashtext('auth-service:migrations'))");
    let done = false;
    const migrating = runMigrationsLocked(dataSource).then((applied) => ((done = true), applied));
    await sleep(1000);

    // A waiting statement would hold a snapshot, and the holder's CREATE INDEX CONCURRENTLY would wait
    // for it while it waits for the holder: a deadlock.
    const { rows } = await holder.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND (wait_event = 'advisory' OR backend_xmin IS NOT NULL)`,
    );
    expect(rows[0].n).toBe(0);
    expect(done).toBe(false);

    await holder.query("SELECT pg_advisory_unlock(hashtext('auth-service:migrations'))");
    const applied = await migrating;
    expect(applied.length).toBe(dataSource.migrations.length);
  });
});
