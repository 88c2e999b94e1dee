import { Global, Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { databaseConfig, type DatabaseConfig } from '../config/database.config.js';
import { DatabaseStatus } from '../common/database/database-status.js';
import { DatabaseNotifications } from '../common/database/notifications.js';
import { PooledStatements } from '../common/database/pooled-statements.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { pendingMigrations, runMigrationsLocked, typeOrmOptions } from './typeorm-options.js';

/** Present only when DATABASE_URL is unset. */
export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

/**
 * Provide `true` under this token (in a global module) in a process that must not change the schema,
 * the admin command line: pending migrations then fail its start, named, instead of being applied.
 */
export const REFUSE_PENDING_MIGRATIONS = Symbol('REFUSE_PENDING_MIGRATIONS');

/** Thrown at start under REFUSE_PENDING_MIGRATIONS; its message names the migrations and the fix. */
export class PendingMigrationsError extends Error {}

/** The options of a data source whose process refuses pending migrations (they reach dataSourceFactory as built). */
const refusing = new WeakSet<DataSourceOptions>();

@Module({
  providers: [
    {
      provide: EMBEDDED_POSTGRES,
      inject: [databaseConfig.KEY, appConfig.KEY],
      useFactory: async (db: DatabaseConfig, app: AppConfig) => (db.url ? null : EmbeddedPostgres.start(app.dataDir)),
    },
  ],
  exports: [EMBEDDED_POSTGRES],
})
class EmbeddedPostgresModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(EMBEDDED_POSTGRES) private readonly embedded: EmbeddedPostgres | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

/** Global, as the data source is: the features that use it sit below this folder and cannot import it. */
@Global()
@Module({
  imports: [EmbeddedPostgresModule],
  providers: [
    {
      provide: DatabaseNotifications,
      inject: [getDataSourceToken(), EMBEDDED_POSTGRES],
      // Embedded storage serves one process by construction (its data folder is locked): no one else to tell.
      useFactory: (dataSource: DataSource, embedded: EmbeddedPostgres | null) =>
        new DatabaseNotifications(dataSource, { shared: !embedded }),
    },
    {
      provide: PooledStatements,
      inject: [getDataSourceToken(), EMBEDDED_POSTGRES],
      useFactory: (dataSource: DataSource, embedded: EmbeddedPostgres | null) =>
        new PooledStatements(dataSource, { prepare: !embedded }),
    },
  ],
  exports: [DatabaseNotifications, PooledStatements],
})
class DatabaseNotificationsModule {}

/** Pending migrations, on one connection without the query timeouts: an index on a big table may take minutes. */
async function runMigrations(options: DataSourceOptions): Promise<void> {
  const migrator = await new DataSource({ ...options, poolSize: 1, extra: {} } as DataSourceOptions).initialize();
  try {
    if (!refusing.has(options)) {
      await runMigrationsLocked(migrator);
      return;
    }
    const pending = await pendingMigrations(migrator);
    if (pending.length > 0)
      throw new PendingMigrationsError(
        `the database is behind this version: ${pending.length} migration(s) pending (${pending.join(', ')}). ` +
          'Apply them first: start the service, or run `npm run migration:run` (Docker image: node dist/database/migrate.js run)',
      );
  } finally {
    await migrator.destroy();
  }
}

@Module({
  imports: [
    EmbeddedPostgresModule,
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [databaseConfig.KEY, EMBEDDED_POSTGRES, { token: REFUSE_PENDING_MIGRATIONS, optional: true }],
      useFactory: (db: DatabaseConfig, embedded: EmbeddedPostgres | null, refuse?: boolean) => {
        const options = {
          ...(embedded
            ? typeOrmOptions(embedded.connection, 1, db.queryTimeoutMs)
            : typeOrmOptions({ url: db.url! }, db.poolSize, db.queryTimeoutMs)),
          // Fail the start at once when the database is unreachable, with the driver's message.
          retryAttempts: 0,
        };
        if (refuse) refusing.add(options);
        return options;
      },
      dataSourceFactory: async (options) => {
        await runMigrations(options!);
        return new DataSource(options!);
      },
    }),
    DatabaseNotificationsModule,
  ],
  providers: [DatabaseStatus],
  exports: [EmbeddedPostgresModule, DatabaseStatus],
})
export class DatabaseModule {}
