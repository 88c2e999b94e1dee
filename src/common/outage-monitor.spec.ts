import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutageMonitor } from './outage-monitor.js';

describe(OutageMonitor.name, () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  const messages = { lost: (reason: string) => `lost: ${reason}`, back: 'back' };

  it('should log the loss once however often it is reported, and the return once when a probe succeeds', async () => {
    vi.useFakeTimers();
    const logger = new Logger('Test');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const log = vi.spyOn(logger, 'log').mockImplementation(() => undefined);
    let up = false;
    const probe = vi.fn(() => (up ? Promise.resolve() : Promise.reject(new Error('down'))));
    const monitor = new OutageMonitor(logger, probe, messages);

    for (let report = 0; report < 50; report++) monitor.lost(`refused ${report}`);
    await vi.advanceTimersByTimeAsync(3000);
    expect(monitor.down).toBe(true);
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(5000);

    expect(warn.mock.calls).toEqual([['lost: refused 0']]);
    expect(log.mock.calls).toEqual([['back']]);
    expect(monitor.down).toBe(false);
    expect(probe).toHaveBeenCalledTimes(4);
  });

  it('should keep one probe in flight at a time while the dependency hangs', async () => {
    vi.useFakeTimers();
    const logger = new Logger('Test');
    vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const probe = vi.fn(() => new Promise<never>(() => undefined));
    const monitor = new OutageMonitor(logger, probe, messages);

    monitor.lost('hung');
    await vi.advanceTimersByTimeAsync(10_000);
    monitor.stop();

    expect(probe).toHaveBeenCalledTimes(1);
    expect(monitor.down).toBe(false);
  });
});
