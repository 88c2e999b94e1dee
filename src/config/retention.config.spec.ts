import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { retentionConfig } from './retention.config.js';

describe('retentionConfig', () => {
  const saved = { ...process.env };
  const keys = ['SESSION_RETENTION', 'AUDIT_RETENTION', 'PURGE_INTERVAL', 'PURGE_BATCH_SIZE'];

  beforeEach(() => {
    for (const key of keys) delete process.env[key];
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should keep sessions 30 days and audit events 400 days, and purge hourly by default', () => {
    expect(retentionConfig()).toEqual({
      sessionRetention: 30 * 86400,
      auditRetention: 400 * 86400,
      purgeIntervalMs: 3600_000,
      batchSize: 1000,
    });
  });

  it('should read durations, 0 as forever, and off as no schedule', () => {
    Object.assign(process.env, { SESSION_RETENTION: '7d', AUDIT_RETENTION: '0', PURGE_INTERVAL: 'off', PURGE_BATCH_SIZE: '50' });

    expect(retentionConfig()).toEqual({ sessionRetention: 7 * 86400, auditRetention: 0, purgeIntervalMs: 0, batchSize: 50 });
  });

  it('should name every unreadable variable', () => {
    Object.assign(process.env, { SESSION_RETENTION: 'a month', AUDIT_RETENTION: '-1', PURGE_INTERVAL: 'hourly' });

    expect(() => retentionConfig()).toThrow(ConfigError);
    expect(() => retentionConfig()).toThrow(/SESSION_RETENTION[\s\S]*AUDIT_RETENTION[\s\S]*PURGE_INTERVAL/);
  });
});
