import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutageMonitor } from '../outage-monitor.js';

/** Postgres cancelled a statement that ran past DATABASE_QUERY_TIMEOUT: the server answers, it is just slow or waiting on a lock. */
const STATEMENT_TIMEOUT = '57014';

/**
 * Says when the database is lost and when it is back, once each, instead of a line per failed
 * request: the error filter reports failures, and a light probe notices the recovery.
 */
@Injectable()
export class DatabaseStatus implements OnApplicationShutdown {
  private readonly monitor: OutageMonitor;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.monitor = new OutageMonitor(new Logger('Database'), () => dataSource.query('SELECT 1'), {
      lost: (reason) => `database unreachable: ${reason}`,
      back: 'database reachable again',
    });
  }

  /** A request failed because the database could not be reached (or did not answer in time). */
  unreachable(error: unknown): void {
    const driverError = (error as { driverError?: unknown } | null)?.driverError ?? error;
    if ((driverError as { code?: unknown } | null)?.code === STATEMENT_TIMEOUT) return;
    this.monitor.lost(describe(driverError));
  }

  onApplicationShutdown(): void {
    this.monitor.stop();
  }
}

function describe(driverError: unknown): string {
  const { code, message } = (driverError ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message ? message : String(driverError);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}
