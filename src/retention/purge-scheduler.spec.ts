import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RetentionConfig } from '../config/retention.config.js';
import { PurgeScheduler } from './purge-scheduler.js';
import type { PurgeResult, PurgeService } from './purge.service.js';

const DONE: PurgeResult = {
  status: 'done',
  deleted: { sessions: 0, oneTimeTokens: 0, loginChallenges: 0, auditEvents: 0 },
  durationMs: 1,
};

describe(PurgeScheduler.name, () => {
  const config = (purgeIntervalMs: number): RetentionConfig => ({
    sessionRetention: 30 * 86400,
    auditRetention: 0,
    purgeIntervalMs,
    batchSize: 1000,
  });

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('should purge a minute after start, then once per interval', async () => {
    const purgeNow = vi.fn().mockResolvedValue(DONE);
    const scheduler = new PurgeScheduler({ purgeNow } as unknown as PurgeService, config(3600_000));
    scheduler.onApplicationBootstrap();

    await vi.advanceTimersByTimeAsync(59_999);
    expect(purgeNow).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(purgeNow).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3600_000);
    expect(purgeNow).toHaveBeenCalledTimes(2);
    scheduler.beforeApplicationShutdown();
  });

  it('should log a failed purge and try again at the next interval', async () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const purgeNow = vi.fn().mockRejectedValueOnce(new Error('connection terminated')).mockResolvedValue(DONE);
    const scheduler = new PurgeScheduler({ purgeNow } as unknown as PurgeService, config(10_000));
    scheduler.onApplicationBootstrap();

    await vi.advanceTimersByTimeAsync(10_000);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('Purge failed: connection terminated'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(purgeNow).toHaveBeenCalledTimes(2);
    scheduler.beforeApplicationShutdown();
  });

  it('should never start a run while the last one is still going', async () => {
    let finish: (result: PurgeResult) => void = () => undefined;
    const purgeNow = vi.fn(() => new Promise<PurgeResult>((resolve) => (finish = resolve)));
    const scheduler = new PurgeScheduler({ purgeNow } as unknown as PurgeService, config(1000));
    scheduler.onApplicationBootstrap();

    await vi.advanceTimersByTimeAsync(10_000);
    expect(purgeNow).toHaveBeenCalledTimes(1);
    finish(DONE);
    await vi.advanceTimersByTimeAsync(1000);
    expect(purgeNow).toHaveBeenCalledTimes(2);
    scheduler.beforeApplicationShutdown();
  });

  it('should schedule nothing with PURGE_INTERVAL off, and nothing more after shutdown', async () => {
    const purgeNow = vi.fn().mockResolvedValue(DONE);
    new PurgeScheduler({ purgeNow } as unknown as PurgeService, config(0)).onApplicationBootstrap();
    const stopped = new PurgeScheduler({ purgeNow } as unknown as PurgeService, config(1000));
    stopped.onApplicationBootstrap();
    stopped.beforeApplicationShutdown();

    await vi.advanceTimersByTimeAsync(86_400_000);

    expect(purgeNow).not.toHaveBeenCalled();
  });
});
