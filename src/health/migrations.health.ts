import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DataSource } from 'typeorm';

/**
 * Up when every migration of this build is applied. Migrations change only when an instance starts
 * (it applies them before it serves) or by hand (`migration:revert`, with the service stopped), so
 * once seen applied the answer is kept: a probe every few seconds costs no query for it.
 */
@Injectable()
export class MigrationsHealthIndicator implements OnApplicationBootstrap {
  private applied = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  /** Checked once at start, while the database is known to answer, so a later outage names only the database. */
  async onApplicationBootstrap(): Promise<void> {
    await this.check();
  }

  async check(): Promise<HealthIndicatorResult<'migrations'>> {
    const indicator = this.indicators.check('migrations');
    if (this.applied) return indicator.up();
    try {
      this.applied = !(await this.dataSource.showMigrations());
      return this.applied ? indicator.up() : indicator.down({ message: 'pending' });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'unknown' });
    }
  }
}
