import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatabaseStatus } from './database-status.js';

describe(DatabaseStatus.name, () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('should log the loss once with the driver error, and the recovery once when a probe succeeds', async () => {
    vi.useFakeTimers();
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    let up = false;
    const query = vi.fn(() => (up ? Promise.resolve([{ '?column?': 1 }]) : Promise.reject(new Error('connection refused'))));
    const status = new DatabaseStatus({ query } as unknown as DataSource);
    const refused = { message: 'Connection terminated', driverError: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' } };

    for (let request = 0; request < 50; request++) status.unreachable(refused);
    await vi.advanceTimersByTimeAsync(3000);
    expect(status.reachable).toBe(false);
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(5000);

    expect(warn.mock.calls).toEqual([['database unreachable: connect ECONNREFUSED 127.0.0.1:5432']]);
    expect(log.mock.calls).toEqual([['database reachable again']]);
    expect(status.reachable).toBe(true);
    expect(query).toHaveBeenCalledTimes(4);
  });

  it('should name the Postgres error code when the message does not', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const status = new DatabaseStatus({ query: () => Promise.reject(new Error('down')) } as unknown as DataSource);

    status.unreachable({ code: '57P01', message: 'terminating connection due to administrator command' });
    status.onApplicationShutdown();

    expect(warn.mock.calls).toEqual([['database unreachable: terminating connection due to administrator command (57P01)']]);
  });
});
