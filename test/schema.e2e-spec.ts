import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { typeOrmOptions } from '../src/database/typeorm-options.js';
import { createTestDatabase, type TestDatabase } from './support/test-app.js';

describe('migrations (e2e)', () => {
  let database: TestDatabase;
  let embedded: EmbeddedPostgres | undefined;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    embedded = database.url ? undefined : await EmbeddedPostgres.start(database.dataDir);
    dataSource = new DataSource(typeOrmOptions(embedded?.connection ?? { url: database.url ?? '' }, 1));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await embedded?.stop();
    await database?.drop();
  });

  it('should build a schema that matches the entities exactly', async () => {
    await dataSource.runMigrations({ transaction: 'each' });

    const pending = await dataSource.driver.createSchemaBuilder().log();

    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('should revert every migration and apply them again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    const tables = await dataSource.query<Array<{ table_name: string }>>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('users', 'sessions')",
    );
    expect(tables).toEqual([]);

    const applied = await dataSource.runMigrations({ transaction: 'each' });

    expect(applied.map((migration) => migration.name)).toEqual(dataSource.migrations.map((migration) => migration.name));
  });

  it("should serve ILIKE '%term%' on email and name from the trigram indexes (pg_trgm loads on PGlite too)", async () => {
    // On a small table the planner would rather read it all: forbid that to see whether the indexes can serve the search.
    await dataSource.query('SET enable_seqscan = off');
    try {
      const plan = await dataSource.query<Array<{ 'QUERY PLAN': string }>>(
        "EXPLAIN SELECT id FROM users WHERE email ILIKE '%ada%' OR name ILIKE '%ada%'",
      );
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');

      expect(text).toContain('IDX_users_email_trgm');
      expect(text).toContain('IDX_users_name_trgm');
    } finally {
      await dataSource.query('RESET enable_seqscan');
    }
  });

  it('should keep email unique whatever its case, even for a direct insert', async () => {
    await dataSource.query("INSERT INTO users (email, password_hash) VALUES ('case@example.com', 'x')");

    await expect(dataSource.query("INSERT INTO users (email, password_hash) VALUES ('Case@example.com', 'x')")).rejects.toThrow(
      /CHK_users_email_lower/,
    );
    await expect(dataSource.query("INSERT INTO users (email, password_hash) VALUES ('case@example.com', 'y')")).rejects.toThrow(
      /UQ_users_email/,
    );
  });
});
