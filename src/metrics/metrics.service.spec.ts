import { describe, expect, it } from 'vitest';
import { parseMetrics, valueOf, type Sample } from '../../test/support/metrics.js';
import { LOGIN_OUTCOMES, MAIL_RESULTS, MetricsService, RATE_LIMIT_NAMES, REFRESH_OUTCOMES } from './metrics.service.js';

async function scrape(metrics: MetricsService): Promise<Sample[]> {
  return parseMetrics(await metrics.render());
}

describe(MetricsService.name, () => {
  it('should export every label value of every counter at 0 before anything happened', async () => {
    const samples = await scrape(new MetricsService());

    const zeroes = (name: string, label: string, values: readonly string[]) =>
      values.map((value) => [value, valueOf(samples, name, { [label]: value })]);
    expect(zeroes('auth_logins_total', 'outcome', LOGIN_OUTCOMES)).toEqual(LOGIN_OUTCOMES.map((o) => [o, 0]));
    expect(zeroes('auth_refreshes_total', 'outcome', REFRESH_OUTCOMES)).toEqual(REFRESH_OUTCOMES.map((o) => [o, 0]));
    expect(zeroes('auth_rate_limit_refusals_total', 'limit', RATE_LIMIT_NAMES)).toEqual(RATE_LIMIT_NAMES.map((l) => [l, 0]));
    expect(zeroes('auth_mails_total', 'result', MAIL_RESULTS)).toEqual(MAIL_RESULTS.map((r) => [r, 0]));
    expect(valueOf(samples, 'auth_logins_total', { outcome: 'mfa_required' })).toBe(0);
  });

  it('should name the rate limits after their variables', () => {
    expect(RATE_LIMIT_NAMES).toEqual([
      'global',
      'introspection',
      'login_ip',
      'login_account',
      'register_ip',
      'register_account',
      'refresh_ip',
      'refresh_account',
      'forgot_ip',
      'forgot_account',
      'verify_ip',
      'verify_account',
      'lockout',
    ]);
  });

  it('should count into its own registry only: two instances in one process do not share values', async () => {
    const one = new MetricsService();
    const other = new MetricsService();

    one.countLogin('success');
    one.countLogin('success');
    one.countRateLimited('login_ip');

    expect(valueOf(await scrape(one), 'auth_logins_total', { outcome: 'success' })).toBe(2);
    expect(valueOf(await scrape(one), 'auth_rate_limit_refusals_total', { limit: 'login_ip' })).toBe(1);
    expect(valueOf(await scrape(other), 'auth_logins_total', { outcome: 'success' })).toBe(0);
  });

  it('should time requests by method, route pattern and status', async () => {
    const metrics = new MetricsService();

    metrics.observeRequest('GET', '/api/v1/users/:id', 200, 0.02);
    metrics.observeRequest('GET', '/api/v1/users/:id', 200, 0.3);
    metrics.observeRequest('GET', '/api/v1/users/:id', 404, 0.01);

    const samples = await scrape(metrics);
    const series = { method: 'GET', route: '/api/v1/users/:id', status: '200' };
    expect(valueOf(samples, 'http_request_duration_seconds_count', series)).toBe(2);
    expect(valueOf(samples, 'http_request_duration_seconds_sum', series)).toBeCloseTo(0.32);
    expect(valueOf(samples, 'http_request_duration_seconds_bucket', { ...series, le: '0.025' })).toBe(1);
    expect(valueOf(samples, 'http_request_duration_seconds_count', { ...series, status: '404' })).toBe(1);
  });

  it('should read the gauges from their readers when scraped, not before', async () => {
    const metrics = new MetricsService();
    let queued = 0;
    metrics.readPasswordPool(() => ({ threads: 4, busy: 3, queued }));
    metrics.readDatabasePool(() => ({ total: 10, idle: 7, waiting: 2 }));
    metrics.readIdentityCacheSize(() => 42);
    queued = 5;

    const samples = await scrape(metrics);

    expect(valueOf(samples, 'auth_password_pool_threads')).toBe(4);
    expect(valueOf(samples, 'auth_password_pool_busy_threads')).toBe(3);
    expect(valueOf(samples, 'auth_password_pool_queue_size')).toBe(5);
    expect(valueOf(samples, 'auth_db_pool_connections')).toBe(10);
    expect(valueOf(samples, 'auth_db_pool_idle_connections')).toBe(7);
    expect(valueOf(samples, 'auth_db_pool_waiting_clients')).toBe(2);
    expect(valueOf(samples, 'auth_identity_cache_entries')).toBe(42);
  });

  it('should report the hit ratio as NaN before any lookup, then hits over lookups', async () => {
    const metrics = new MetricsService();
    expect(valueOf(await scrape(metrics), 'auth_identity_cache_hit_ratio')).toBeNaN();

    metrics.countIdentityCacheLookup(true);
    metrics.countIdentityCacheLookup(false);

    expect(valueOf(await scrape(metrics), 'auth_identity_cache_hit_ratio')).toBe(0.5);
  });

  it("should include Node's default process metrics", async () => {
    const names = new Set((await scrape(new MetricsService())).map((sample) => sample.name));

    expect(names).toContain('process_cpu_seconds_total');
    expect(names).toContain('process_resident_memory_bytes');
    expect(names).toContain('nodejs_eventloop_lag_seconds');
    expect(names).toContain('nodejs_heap_size_used_bytes');
  });
});
