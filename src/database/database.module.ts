import { Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { databaseConfig, type DatabaseConfig } from '../config/database.config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { typeOrmOptions } from './typeorm-options.js';

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

@Module({
  imports: [
    EmbeddedPostgresModule,
    TypeOrmModule.forRootAsync({
      imports: [EmbeddedPostgresModule],
      inject: [databaseConfig.KEY, EMBEDDED_POSTGRES],
      useFactory: (db: DatabaseConfig, embedded: EmbeddedPostgres | null) => ({
        ...(embedded ? typeOrmOptions(embedded.connection, 1) : typeOrmOptions({ url: db.url! }, db.poolSize)),
        migrationsRun: true,
        // Fail the start at once when the database is unreachable, with the driver's message.
        retryAttempts: 0,
      }),
    }),
  ],
  exports: [EmbeddedPostgresModule],
})
export class DatabaseModule {}
