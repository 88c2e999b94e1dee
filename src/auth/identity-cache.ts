import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, type EntitySubscriberInterface, type TransactionCommitEvent } from 'typeorm';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { DatabaseNotifications } from '../common/database/notifications.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { AuthUser } from '../common/request/auth-user.js';
import { UserEvents } from '../users/user-events.js';

const MAX_ENTRIES = 100_000;
const AFTER_COMMIT = 'identityCacheAfterCommit';
/** Every instance's forgets: `s:<sessionId>` or `u:<userId>`. */
const CHANNEL = 'auth_identity';
const PAYLOAD = /^([su]):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

interface Entry {
  auth: AuthUser;
  /** Until when this entry may answer: the cache lifetime, capped by the session's own expiry. */
  until: number;
}

/**
 * The per-request session and user check, remembered for AUTH_CACHE_TTL seconds. Every write that can
 * change the answer (logout, session end, password change, and any user change that UserEvents announces) drops
 * the entries at once and again when its transaction commits, so the very next request on this
 * instance reads the database; it also notifies the other instances on `auth_identity`, on commit,
 * and they drop theirs. While this instance may miss a notification (its listening connection is
 * lost), it drops everything and keeps nothing.
 */
@Injectable()
export class IdentityCache implements EntitySubscriberInterface {
  private readonly entries = new Map<string, Entry>();
  private readonly sessionsOfUser = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  /** Counts forgets: an answer read before the latest one may be stale, and is not kept. */
  private forgets = 0;

  constructor(
    @Inject(authConfig.KEY) config: AuthConfig,
    @InjectDataSource() dataSource: DataSource,
    users: UserEvents,
    private readonly notifications: DatabaseNotifications,
    private readonly metrics: MetricsService,
  ) {
    metrics.readIdentityCacheSize(() => this.entries.size);
    this.ttlMs = config.identityCacheTtl * 1000;
    dataSource.subscribers.push(this);
    users.onChanged(({ userId, manager }) => this.forgetUser(manager, userId));
    notifications.listen(CHANNEL, { message: (payload) => this.received(payload), reset: () => this.clear() });
  }

  /** The remembered answer, once the notifications already received are handled (see DatabaseNotifications.settled). */
  async lookup(sessionId: string, userId: string): Promise<AuthUser | undefined> {
    if (this.entries.has(sessionId)) await this.notifications.settled();
    const found = this.get(sessionId, userId);
    this.metrics.countIdentityCacheLookup(found !== undefined);
    return found;
  }

  get(sessionId: string, userId: string): AuthUser | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.until <= Date.now() || entry.auth.user.id !== userId) {
      this.drop(sessionId);
      return undefined;
    }
    return entry.auth;
  }

  /** A mark to take before reading the database, for `set`. */
  get mark(): number {
    return this.forgets;
  }

  set(auth: AuthUser, sessionExpiresAt: Date, readSince: number): void {
    if (this.ttlMs <= 0 || readSince !== this.forgets || !this.notifications.connected) return;
    if (this.entries.size >= MAX_ENTRIES) this.drop(this.entries.keys().next().value!);
    this.entries.set(auth.sessionId, { auth, until: Math.min(Date.now() + this.ttlMs, sessionExpiresAt.getTime()) });
    const sessions = this.sessionsOfUser.get(auth.user.id) ?? new Set<string>();
    sessions.add(auth.sessionId);
    this.sessionsOfUser.set(auth.user.id, sessions);
  }

  /** Forgets the session now and, when `manager` is in a transaction, again once that commits. */
  forgetSession(manager: EntityManager | undefined, sessionId: string): void {
    this.now(manager, () => this.drop(sessionId));
    this.notifications.notify(manager, CHANNEL, `s:${sessionId}`);
  }

  /** Forgets every session of the user now and, when `manager` is in a transaction, again once that commits. */
  forgetUser(manager: EntityManager | undefined, userId: string): void {
    this.now(manager, () => this.dropUser(userId));
    this.notifications.notify(manager, CHANNEL, `u:${userId}`);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const pending = event.queryRunner.data[AFTER_COMMIT] as Array<() => void> | undefined;
    delete event.queryRunner.data[AFTER_COMMIT];
    if (!pending) return;
    this.forgets++;
    pending.forEach((forget) => forget());
  }

  /** Forgets now, and once more after the transaction commits (a request in between may have read the old row). */
  private now(manager: EntityManager | undefined, forget: () => void): void {
    this.forgets++;
    forget();
    const runner = manager?.queryRunner;
    if (runner?.isTransactionActive) ((runner.data[AFTER_COMMIT] as Array<() => void> | undefined) ??= []).push(forget);
  }

  /** Another instance's forget (or this one's, back from the database: harmless). */
  private received(payload: string): void {
    const [, kind, id] = PAYLOAD.exec(payload) ?? [];
    if (!id) return;
    this.forgets++;
    if (kind === 's') this.drop(id);
    else this.dropUser(id);
  }

  /** Notifications may have been missed: nothing remembered can be trusted. */
  private clear(): void {
    this.forgets++;
    this.entries.clear();
    this.sessionsOfUser.clear();
  }

  private dropUser(userId: string): void {
    [...(this.sessionsOfUser.get(userId) ?? [])].forEach((sessionId) => this.drop(sessionId));
  }

  private drop(sessionId: string): void {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    const sessions = this.sessionsOfUser.get(entry.auth.user.id);
    sessions?.delete(sessionId);
    if (sessions?.size === 0) this.sessionsOfUser.delete(entry.auth.user.id);
  }
}
