import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { typeOrmOptions } from '../../src/database/typeorm-options.js';

/** A fresh embedded database with every migration applied, for specs that test SQL without the app. */
export interface MigratedDatabase {
  dataSource: DataSource;
  /** Closes the DataSource, stops Postgres and removes its folder. */
  close(): Promise<void>;
}

/**
 * Embedded PGlite in a new temporary folder (never DATABASE_URL: each run has its own), reached as the
 * app reaches it: one pooled connection, the real TypeORM options and migrations. Unit specs in src/
 * start it from here because src/database sits above every feature folder (the layers lint rule).
 */
export async function startMigratedDatabase(): Promise<MigratedDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'auth-spec-'));
  let embedded: EmbeddedPostgres | undefined;
  let dataSource: DataSource | undefined;
  const close = async () => {
    try {
      if (dataSource?.isInitialized) await dataSource.destroy();
      await embedded?.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  try {
    embedded = await EmbeddedPostgres.start(dataDir);
    dataSource = await new DataSource(typeOrmOptions(embedded.connection, 1)).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    return { dataSource, close };
  } catch (error) {
    await close();
    throw error;
  }
}
