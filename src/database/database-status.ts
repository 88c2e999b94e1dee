import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** How often a lost database is tried again, only to tell the log when it is back. */
const PROBE_INTERVAL_MS = 1000;

/**
 * Says when the database is lost and when it is back, once each, instead of a line per failed
 * request: the error filter reports failures, and a light probe notices the recovery.
 */
@Injectable()
export class DatabaseStatus implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private probe?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get reachable(): boolean {
    return this.probe === undefined;
  }

  /** A request failed because the database could not be reached. */
  unreachable(error: unknown): void {
    if (this.probe) return;
    this.logger.warn(`database unreachable: ${describe(error)}`);
    this.probe = setInterval(() => void this.check(), PROBE_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.probe);
  }

  private async check(): Promise<void> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      return;
    }
    if (!this.probe) return;
    clearInterval(this.probe);
    this.probe = undefined;
    this.logger.log('database reachable again');
  }
}

function describe(error: unknown): string {
  const driverError = (error as { driverError?: unknown } | null)?.driverError ?? error;
  const { code, message } = (driverError ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message ? message : String(driverError);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}
