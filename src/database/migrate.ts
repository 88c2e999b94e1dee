/**
 * `npm run migration:run` / `migration:revert`: applies or reverts migrations on DATABASE_URL, or on
 * the embedded database under DATA_DIR when it is unset. The app also runs pending migrations at boot.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { appConfig } from '../config/app.config.js';
import { databaseConfig } from '../config/database.config.js';
import { DataDirInUseError, EmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsLocked, typeOrmOptions } from './typeorm-options.js';

const logger = new Logger('Migrations');
const command = process.argv[2];
if (command !== 'run' && command !== 'revert') {
  logger.error('usage: migrate run|revert');
  process.exit(2);
}

const db = databaseConfig();
const embedded = db.url
  ? undefined
  : await EmbeddedPostgres.start(appConfig().dataDir).catch((error: unknown) => {
      if (!(error instanceof DataDirInUseError)) throw error;
      logger.error(error.message);
      process.exit(1);
    });
const dataSource = new DataSource(typeOrmOptions(embedded?.connection ?? { url: db.url ?? '' }, 1));
try {
  await dataSource.initialize();
  if (command === 'run') {
    const applied = await runMigrationsLocked(dataSource);
    logger.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'No pending migrations');
  } else {
    await dataSource.undoLastMigration({ transaction: 'each' });
    logger.log('Reverted the last migration');
  }
} finally {
  await dataSource.destroy().catch(() => undefined);
  await embedded?.stop();
}
