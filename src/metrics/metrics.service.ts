import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RATE_LIMIT_RULES, type RateLimitRule } from '../config/rate-limit.config.js';

export const LOGIN_OUTCOMES = [
  'success',
  'wrong_password',
  'unknown_account',
  'locked',
  'disabled',
  'unverified',
  // The password was right and a second step is asked for; its success counts as `success`.
  'mfa_required',
] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

export const REFRESH_OUTCOMES = ['rotated', 'reuse_window', 'reuse_detected', 'invalid'] as const;
export type RefreshOutcome = (typeof REFRESH_OUTCOMES)[number];

export const MAIL_RESULTS = ['sent', 'retried', 'failed'] as const;
export type MailResult = (typeof MAIL_RESULTS)[number];

/** Named after their variables: `login_ip` is RATE_LIMIT_LOGIN_IP, `introspection` INTROSPECTION_RATE_LIMIT, `lockout` LOCKOUT_*. */
export type RateLimitName = 'global' | 'introspection' | 'lockout' | `${RateLimitRule}_${'ip' | 'account'}`;
export const RATE_LIMIT_NAMES: readonly RateLimitName[] = [
  'global',
  'introspection',
  ...RATE_LIMIT_RULES.flatMap((rule) => [`${rule}_ip`, `${rule}_account`] as const),
  'lockout',
];

/** The route label of a request that matched no route: one series for every unknown URL. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface PasswordPoolStats {
  threads: number;
  busy: number;
  queued: number;
}

export interface DatabasePoolStats {
  total: number;
  idle: number;
  waiting: number;
}

type Reader<T> = () => T | undefined;

/**
 * This app's metrics, on a registry of its own (not prom-client's global one: tests run several apps
 * in one process). Counters are counted where things happen; gauges are read when scraped, from the
 * readers their owners hand in (the owners sit above this folder and cannot be imported).
 */
@Injectable()
export class MetricsService {
  /** Prometheus text format (the default), so answered as `Registry.PROMETHEUS_CONTENT_TYPE`. */
  readonly registry = new Registry();

  private readonly requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status: time from receipt to the answer sent',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly logins = zeroed(
    new Counter({
      name: 'auth_logins_total',
      help: 'Password logins by outcome',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
    }),
    'outcome',
    LOGIN_OUTCOMES,
  );

  private readonly refreshes = zeroed(
    new Counter({
      name: 'auth_refreshes_total',
      help: 'Refresh token uses by outcome',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
    }),
    'outcome',
    REFRESH_OUTCOMES,
  );

  private readonly rateLimited = zeroed(
    new Counter({
      name: 'auth_rate_limit_refusals_total',
      help: 'Requests refused with 429 by a rate limit or the login lockout, by limit',
      labelNames: ['limit'] as const,
      registers: [this.registry],
    }),
    'limit',
    RATE_LIMIT_NAMES,
  );

  private readonly mails = zeroed(
    new Counter({
      name: 'auth_mails_total',
      help: 'Mail deliveries: sent, retried (an attempt failed, another follows) or failed (given up)',
      labelNames: ['result'] as const,
      registers: [this.registry],
    }),
    'result',
    MAIL_RESULTS,
  );

  private readonly cacheLookups = zeroed(
    new Counter({
      name: 'auth_identity_cache_lookups_total',
      help: 'Identity cache lookups by result (hit or miss)',
      labelNames: ['result'] as const,
      registers: [this.registry],
    }),
    'result',
    ['hit', 'miss'],
  );
  private cacheHits = 0;
  private cacheMisses = 0;

  private passwordPool: Reader<PasswordPoolStats> = () => undefined;
  private identityCacheSize: Reader<number> = () => undefined;
  private databasePool: Reader<DatabasePoolStats> = () => undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, read: Reader<number>) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const value = read();
          if (value !== undefined) this.set(value);
        },
      });
    gauge('auth_password_pool_threads', 'Worker threads that hash and check passwords', () => this.passwordPool()?.threads);
    gauge('auth_password_pool_busy_threads', 'Password worker threads running a hash or check', () => this.passwordPool()?.busy);
    gauge(
      'auth_password_pool_queue_size',
      'Password hashes and checks waiting for a free thread',
      () => this.passwordPool()?.queued,
    );
    gauge('auth_db_pool_connections', 'Database pool connections, idle or in use', () => this.databasePool()?.total);
    gauge('auth_db_pool_idle_connections', 'Database pool connections not in use', () => this.databasePool()?.idle);
    gauge('auth_db_pool_waiting_clients', 'Queries waiting for a database pool connection', () => this.databasePool()?.waiting);
    gauge('auth_identity_cache_entries', 'Sessions the identity cache remembers', () => this.identityCacheSize());
    gauge(
      'auth_identity_cache_hit_ratio',
      'Identity cache hits over lookups since start (NaN before any lookup)',
      () => this.cacheHits / (this.cacheHits + this.cacheMisses),
    );
  }

  countLogin(outcome: LoginOutcome): void {
    this.logins.inc({ outcome });
  }

  countRefresh(outcome: RefreshOutcome): void {
    this.refreshes.inc({ outcome });
  }

  countRateLimited(limit: RateLimitName): void {
    this.rateLimited.inc({ limit });
  }

  countMail(result: MailResult): void {
    this.mails.inc({ result });
  }

  countIdentityCacheLookup(hit: boolean): void {
    if (hit) this.cacheHits++;
    else this.cacheMisses++;
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  /** `route` is the pattern (`/api/v1/users/:id`), never the URL: the label values stay few. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe({ method, route, status }, seconds);
  }

  readPasswordPool(reader: Reader<PasswordPoolStats>): void {
    this.passwordPool = reader;
  }

  readIdentityCacheSize(reader: Reader<number>): void {
    this.identityCacheSize = reader;
  }

  readDatabasePool(reader: Reader<DatabasePoolStats>): void {
    this.databasePool = reader;
  }

  /** The Prometheus text exposition of every metric, gauges read now. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Every value of the label exported at 0 from the start: a series that appears only with its first event hides that event from `rate()`. */
function zeroed<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
  return counter;
}
