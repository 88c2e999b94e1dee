import type { DataSource, EntityManager, TransactionCommitEvent } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { parseMetrics, valueOf } from '../../test/support/metrics.js';
import type { AuthConfig } from '../config/auth.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { User } from '../users/entities/user.entity.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { DatabaseNotifications, NotificationHandlers } from '../common/database/notifications.js';
import { UserEvents } from '../users/user-events.js';
import { IdentityCache } from './identity-cache.js';

const LATER = new Date(Date.now() + 3_600_000);
const S1 = '00000000-0000-4000-8000-000000000001';
const U1 = '00000000-0000-4000-8000-0000000000a1';

/** What the cache sends, and a way to play what the database would deliver. */
class FakeNotifications {
  connected = true;
  readonly sent: Array<{ inTransaction: boolean; channel: string; payload: string }> = [];
  readonly handlers = new Map<string, NotificationHandlers>();

  listen(channel: string, handlers: NotificationHandlers): void {
    this.handlers.set(channel, handlers);
  }

  notify(manager: EntityManager | undefined, channel: string, payload: string): void {
    this.sent.push({ inTransaction: manager?.queryRunner?.isTransactionActive === true, channel, payload });
  }

  deliver(payload: string): void {
    this.handlers.get('auth_identity')!.message(payload);
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }
}

function makeCache(
  ttlSeconds = 5,
  events = new UserEvents(),
  notifications = new FakeNotifications(),
  metrics = new MetricsService(),
): IdentityCache {
  return new IdentityCache(
    { identityCacheTtl: ttlSeconds } as AuthConfig,
    { subscribers: [] } as unknown as DataSource,
    events,
    notifications as unknown as DatabaseNotifications,
    metrics,
  );
}

function identity(sessionId: string, userId = 'u1'): AuthUser {
  return { sessionId, user: { id: userId, roles: ['user'] } as User, amr: ['pwd'] };
}

describe(IdentityCache.name, () => {
  it('should answer a remembered identity for its session and user only', () => {
    const cache = makeCache();
    cache.set(identity('s1'), LATER, cache.mark);

    expect(cache.get('s1', 'u1')?.sessionId).toBe('s1');
    expect(cache.get('s1', 'someone-else')).toBeUndefined();
    expect(cache.get('s2', 'u1')).toBeUndefined();
  });

  it('should count its lookups as hits and misses, and report its size and hit ratio when scraped', async () => {
    const metrics = new MetricsService();
    const cache = makeCache(5, new UserEvents(), new FakeNotifications(), metrics);
    cache.set(identity('s1'), LATER, cache.mark);
    cache.set(identity('s2'), LATER, cache.mark);

    for (const sessionId of ['s1', 's1', 's2', 's3']) await cache.lookup(sessionId, 'u1');

    const samples = parseMetrics(await metrics.render());
    expect(valueOf(samples, 'auth_identity_cache_lookups_total', { result: 'hit' })).toBe(3);
    expect(valueOf(samples, 'auth_identity_cache_lookups_total', { result: 'miss' })).toBe(1);
    expect(valueOf(samples, 'auth_identity_cache_hit_ratio')).toBe(0.75);
    expect(valueOf(samples, 'auth_identity_cache_entries')).toBe(2);
  });

  it('should forget every session of a user that UserEvents announces as changed', () => {
    const events = new UserEvents();
    const cache = makeCache(5, events);
    cache.set(identity('s1'), LATER, cache.mark);
    cache.set(identity('s2', 'u2'), LATER, cache.mark);

    events.changed({ userId: 'u1' });

    expect(cache.get('s1', 'u1')).toBeUndefined();
    expect(cache.get('s2', 'u2')?.sessionId).toBe('s2');
  });

  it('should forget a session, and every session of a user', () => {
    const cache = makeCache();
    for (const id of ['s1', 's2', 's3']) cache.set(identity(id, id === 's3' ? 'u2' : 'u1'), LATER, cache.mark);

    cache.forgetSession(undefined, 's1');
    expect(cache.get('s1', 'u1')).toBeUndefined();
    expect(cache.get('s2', 'u1')).toBeDefined();

    cache.forgetUser(undefined, 'u1');
    expect(cache.get('s2', 'u1')).toBeUndefined();
    expect(cache.get('s3', 'u2')).toBeDefined();
  });

  it('should not keep an answer read before a forget (it may be stale)', () => {
    const cache = makeCache();
    const mark = cache.mark;
    cache.forgetUser(undefined, 'u1');

    cache.set(identity('s1'), LATER, mark);

    expect(cache.get('s1', 'u1')).toBeUndefined();
  });

  it('should never answer past the session’s own expiry, nor with the cache off', () => {
    const cache = makeCache();
    cache.set(identity('s1'), new Date(Date.now() - 1), cache.mark);
    const off = makeCache(0);
    off.set(identity('s1'), LATER, off.mark);

    expect(cache.get('s1', 'u1')).toBeUndefined();
    expect(off.get('s1', 'u1')).toBeUndefined();
  });

  it('should forget again when the transaction that changed the user commits', () => {
    const cache = makeCache();
    const runner = { isTransactionActive: true, data: {} as Record<string, unknown> };
    cache.forgetUser({ queryRunner: runner } as unknown as EntityManager, 'u1');
    cache.set(identity('s1'), LATER, cache.mark);
    expect(cache.get('s1', 'u1')).toBeDefined();

    cache.afterTransactionCommit({ queryRunner: runner } as unknown as TransactionCommitEvent);

    expect(cache.get('s1', 'u1')).toBeUndefined();
    expect(runner.data).toEqual({});
  });

  it('should tell the other instances of every forget, in the transaction when there is one', () => {
    const notifications = new FakeNotifications();
    const cache = makeCache(5, new UserEvents(), notifications);
    const manager = { queryRunner: { isTransactionActive: true, data: {} } } as unknown as EntityManager;

    cache.forgetSession(manager, S1);
    cache.forgetUser(undefined, U1);

    expect(notifications.sent).toEqual([
      { inTransaction: true, channel: 'auth_identity', payload: `s:${S1}` },
      { inTransaction: false, channel: 'auth_identity', payload: `u:${U1}` },
    ]);
  });

  it('should forget what another instance’s notification names, and ignore junk', () => {
    const notifications = new FakeNotifications();
    const cache = makeCache(5, new UserEvents(), notifications);
    const other = '00000000-0000-4000-8000-000000000002';
    cache.set(identity(S1, U1), LATER, cache.mark);
    cache.set(identity(other, U1), LATER, cache.mark);

    for (const junk of ['', 'x', `s:${S1}x`, `x:${S1}`, `s:${S1} `, 's:not-a-uuid']) notifications.deliver(junk);
    expect(cache.get(S1, U1)).toBeDefined();

    notifications.deliver(`s:${S1}`);
    expect(cache.get(S1, U1)).toBeUndefined();
    expect(cache.get(other, U1)).toBeDefined();

    notifications.deliver(`u:${U1}`);
    expect(cache.get(other, U1)).toBeUndefined();
  });

  it('should not keep an answer read before another instance’s forget arrived', () => {
    const notifications = new FakeNotifications();
    const cache = makeCache(5, new UserEvents(), notifications);
    const mark = cache.mark;
    notifications.deliver(`u:${U1}`);

    cache.set(identity(S1, U1), LATER, mark);

    expect(cache.get(S1, U1)).toBeUndefined();
  });

  it('should drop everything on a reset, and keep nothing while not listening', () => {
    const notifications = new FakeNotifications();
    const cache = makeCache(5, new UserEvents(), notifications);
    cache.set(identity('s1'), LATER, cache.mark);
    const mark = cache.mark;

    notifications.connected = false;
    notifications.handlers.get('auth_identity')!.reset();
    expect(cache.get('s1', 'u1')).toBeUndefined();
    cache.set(identity('s2'), LATER, cache.mark);
    expect(cache.get('s2', 'u1')).toBeUndefined();

    notifications.connected = true;
    cache.set(identity('s3'), LATER, mark);
    expect(cache.get('s3', 'u1')).toBeUndefined();
    cache.set(identity('s3'), LATER, cache.mark);
    expect(cache.get('s3', 'u1')).toBeDefined();
  });
});
