import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { COMMAND_LINE } from '../common/command-line.js';
import { retentionConfig, type RetentionConfig } from '../config/retention.config.js';
import { PurgeService } from './purge.service.js';

/**
 * The first purge a minute after start (or after one interval, when that is shorter): instances that
 * restart more often than the interval (deploys, autoscaling) still purge, and the start (migrations,
 * warm-up) does not share the database with it. Several instances starting together cost little: all
 * but one find the lock held.
 */
const FIRST_RUN_DELAY_MS = 60_000;

/** Runs the purge every PURGE_INTERVAL, each run after the last has finished, so runs never overlap. */
@Injectable()
export class PurgeScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly purge: PurgeService,
    @Inject(retentionConfig.KEY) private readonly config: RetentionConfig,
    // A command (`npm run cli -- purge` included) runs once and exits: it keeps no schedule.
    @Optional() @Inject(COMMAND_LINE) private readonly commandLine: boolean = false,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.config.purgeIntervalMs;
    if (interval > 0 && !this.commandLine) this.schedule(Math.min(interval, FIRST_RUN_DELAY_MS));
  }

  beforeApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => void this.tick(), delayMs);
    // The schedule never keeps the process alive on its own.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.purge.purgeNow();
    } catch (error) {
      this.logger.error(
        `Purge failed: ${error instanceof Error ? error.message : String(error)}; trying again in ${this.config.purgeIntervalMs / 1000} s`,
      );
    }
    if (!this.stopped) this.schedule(this.config.purgeIntervalMs);
  }
}
