import type { DataSource, EntityManager, TransactionCommitEvent } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../config/auth.config.js';
import type { User } from '../users/entities/user.entity.js';
import type { AuthUser } from '../common/request/auth-user.js';
import { UserEvents } from '../users/user-events.js';
import { IdentityCache } from './identity-cache.js';

const LATER = new Date(Date.now() + 3_600_000);

function makeCache(ttlSeconds = 5, events = new UserEvents()): IdentityCache {
  return new IdentityCache({ identityCacheTtl: ttlSeconds } as AuthConfig, { subscribers: [] } as unknown as DataSource, events);
}

function identity(sessionId: string, userId = 'u1'): AuthUser {
  return { sessionId, user: { id: userId, roles: ['user'] } as User };
}

describe(IdentityCache.name, () => {
  it('should answer a remembered identity for its session and user only', () => {
    const cache = makeCache();
    cache.set(identity('s1'), LATER, cache.mark);

    expect(cache.get('s1', 'u1')?.sessionId).toBe('s1');
    expect(cache.get('s1', 'someone-else')).toBeUndefined();
    expect(cache.get('s2', 'u1')).toBeUndefined();
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
});
