import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problemsOf } from '../../test/support/config-problems.js';
import { metricsConfig } from './metrics.config.js';

const TOKEN = '9d1f3c5a7e2b4d6f8a0c1e3b5d7f9a2c';

describe('metricsConfig', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    for (const key of ['METRICS_TOKEN', 'NODE_ENV']) delete process.env[key];
  });

  afterEach(() => {
    process.env = { ...saved };
  });

  it('should be off without METRICS_TOKEN', () => {
    expect(metricsConfig()).toEqual({ tokenSha256: undefined });
  });

  it('should keep only the SHA-256 of the token', () => {
    process.env.METRICS_TOKEN = TOKEN;

    const config = metricsConfig();

    expect(config.tokenSha256).toEqual(createHash('sha256').update(TOKEN).digest());
    expect(JSON.stringify(config)).not.toContain(TOKEN);
  });

  it('should refuse a short token, or one a bearer header cannot carry, naming the variable but not the value', () => {
    for (const token of ['too-short', `${TOKEN} with spaces`]) {
      process.env.METRICS_TOKEN = token;

      const problems = problemsOf(() => metricsConfig());

      expect(problems, token).toHaveLength(1);
      expect(problems[0]).toMatch(/^METRICS_TOKEN /);
      expect(problems[0]).not.toContain(token);
    }
  });

  it('should refuse a placeholder token in production only', () => {
    process.env.METRICS_TOKEN = 'change-me-change-me-change-me-change-me';
    expect(problemsOf(() => metricsConfig())).toEqual([]);

    process.env.NODE_ENV = 'production';
    expect(problemsOf(() => metricsConfig())).toEqual(['METRICS_TOKEN is a placeholder; generate one (openssl rand -hex 32)']);

    process.env.METRICS_TOKEN = TOKEN;
    expect(problemsOf(() => metricsConfig())).toEqual([]);
  });
});
