import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseStatus } from './database-status.js';

describe(DatabaseStatus.name, () => {
  const statuses: DatabaseStatus[] = [];
  const create = () => {
    const status = new DatabaseStatus({ query: () => Promise.reject(new Error('down')) } as unknown as DataSource);
    statuses.push(status);
    return status;
  };

  afterEach(() => {
    for (const status of statuses.splice(0)) status.onApplicationShutdown();
    vi.restoreAllMocks();
  });

  it('should log the loss with the driver error, naming the Postgres code when the message does not', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    create().unreachable({
      message: 'Connection terminated',
      driverError: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    });
    create().unreachable({ code: '57P01', message: 'terminating connection due to administrator command' });

    expect(warn.mock.calls).toEqual([
      ['database unreachable: connect ECONNREFUSED 127.0.0.1:5432'],
      ['database unreachable: terminating connection due to administrator command (57P01)'],
    ]);
  });

  it('should not call a statement cancelled by DATABASE_QUERY_TIMEOUT an outage: the server answered', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    create().unreachable({
      message: 'canceling statement due to statement timeout',
      driverError: { code: '57014', message: 'canceling statement due to statement timeout' },
    });

    expect(warn).not.toHaveBeenCalled();
  });
});
