import { Global, Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { databaseConfig, type DatabaseConfig } from '../config/database.config.js';
import { DatabaseStatus } from '../common/database/database-status.js';
import { DatabaseNotifications } from '../common/database/notifications.js';
import { PooledStatements } from '../common/database/pooled-statements.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { runMigrationsLocked, typeOrmOptions } from './typeorm-options.js';

/** Present only when DATABASE_URL is unset. */
export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');

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
    await runMigrationsLocked(migrator);
  } finally {
    await migrator.destroy();
  }
}

@Module({
  imports: [
    EmbeddedPostgresModule,
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [databaseConfig.KEY, EMBEDDED_POSTGRES],
      useFactory: (db: DatabaseConfig, embedded: EmbeddedPostgres | null) => ({
        ...(embedded
          ? typeOrmOptions(embedded.connection, 1, db.queryTimeoutMs)
          : typeOrmOptions({ url: db.url! }, db.poolSize, db.queryTimeoutMs)),
        // Fail the start at once when the database is unreachable, with the driver's message.
        retryAttempts: 0,
      }),
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
