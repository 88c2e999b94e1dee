import { HealthIndicatorService } from '@nestjs/terminus';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { MigrationsHealthIndicator } from './migrations.health.js';

/** Only `showMigrations()` is read: its answers, in turn (an Error is thrown), and how often it was asked. */
function dataSource(...answers: Array<boolean | Error>) {
  let calls = 0;
  const source = {
    showMigrations: () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
  };
  return { source: source as unknown as DataSource, calls: () => calls };
}

describe(MigrationsHealthIndicator.name, () => {
  it('should report pending migrations as down, and ask again on the next check', async () => {
    const { source, calls } = dataSource(true, false);
    const indicator = new MigrationsHealthIndicator(new HealthIndicatorService(), source);

    await expect(indicator.check()).resolves.toEqual({ migrations: { status: 'down', message: 'pending' } });
    await expect(indicator.check()).resolves.toEqual({ migrations: { status: 'up' } });
    expect(calls()).toBe(2);
  });

  it('should keep an applied answer, so a probe costs no query for it', async () => {
    const { source, calls } = dataSource(false, true);
    const indicator = new MigrationsHealthIndicator(new HealthIndicatorService(), source);

    await indicator.onApplicationBootstrap();
    await expect(indicator.check()).resolves.toEqual({ migrations: { status: 'up' } });
    await expect(indicator.check()).resolves.toEqual({ migrations: { status: 'up' } });
    expect(calls()).toBe(1);
  });

  it('should report down, not up, when the check itself fails, and try again next time', async () => {
    const { source, calls } = dataSource(new Error('Connection terminated'), false);
    const indicator = new MigrationsHealthIndicator(new HealthIndicatorService(), source);

    await expect(indicator.check()).resolves.toEqual({ migrations: { status: 'down', message: 'Connection terminated' } });
    await expect(indicator.check()).resolves.toEqual({ migrations: { status: 'up' } });
    expect(calls()).toBe(2);
  });
});
