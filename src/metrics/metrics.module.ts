import { Global, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsService } from './metrics.service.js';

/** Global: auth, rate limits and mail count into it, from the layers above this folder. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, MetricsTokenGuard],
  exports: [MetricsService],
})
export class MetricsModule {
  constructor(metrics: MetricsService, @InjectDataSource() dataSource: DataSource) {
    metrics.readDatabasePool(() => {
      // The driver's pool exists once the data source is initialized.
      const pool = (dataSource.driver as PostgresDriver).master as pg.Pool | undefined;
      return pool && { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
    });
  }
}
