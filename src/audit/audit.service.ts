import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DataSource,
  EntityManager,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';
import { maskIdentifier } from '../common/logging/mask.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { AuditEvent, type AuditEventType } from './entities/audit-event.entity.js';

export interface AuditRecord {
  type: AuditEventType;
  userId: string | null;
  client?: ClientInfo;
  detail?: AuditEvent['detail'];
  /**
   * The email or username the event is about (a failed login's, known account or not): logged
   * masked (as `email` or `username`), never stored.
   */
  identifier?: string;
}

/** Signs of an attack: at warn level, the rest at info. */
const WARNINGS = new Set<AuditEventType>(['login_failure', 'refresh_reuse_detected']);

/** Log lines waiting on the query runner for their transaction to commit. */
const AFTER_COMMIT = 'auditLogAfterCommit';

/**
 * Records security events in the caller's transaction, so an event is kept only if its change is,
 * and logs each one as it happens (once its transaction commits: a rolled-back change is no event).
 */
@Injectable()
export class AuditService implements EntitySubscriberInterface {
  private readonly logger = new Logger('Security');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    dataSource.subscribers.push(this);
  }

  async record(manager: EntityManager, { type, userId, client, detail = {}, identifier }: AuditRecord): Promise<void> {
    await manager.insert(AuditEvent, { type, userId, ip: client?.ip ?? null, userAgent: client?.userAgent ?? null, detail });
    const line = {
      msg: `security event: ${type}`,
      event: type,
      userId,
      ip: client?.ip,
      ...(identifier && { [identifier.includes('@') ? 'email' : 'username']: maskIdentifier(identifier) }),
      detail,
    };
    const write = () => (WARNINGS.has(type) ? this.logger.warn(line) : this.logger.log(line));
    const runner = manager.queryRunner;
    if (runner?.isTransactionActive) ((runner.data[AFTER_COMMIT] as Array<() => void> | undefined) ??= []).push(write);
    else write();
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const pending = event.queryRunner.data[AFTER_COMMIT] as Array<() => void> | undefined;
    delete event.queryRunner.data[AFTER_COMMIT];
    pending?.forEach((write) => write());
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    delete event.queryRunner.data[AFTER_COMMIT];
  }

  /** Deletes up to `limit` events recorded before `cutoff`, oldest first, in the caller's transaction; how many. */
  async purgeBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    const [, deleted] = await manager.query<[unknown[], number]>(
      'DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE created_at < $1 ORDER BY created_at LIMIT $2)',
      [cutoff, limit],
    );
    return deleted;
  }

  async listForUser(userId: string, page: number, limit: number): Promise<{ items: AuditEvent[]; total: number }> {
    const [items, total] = await this.dataSource.getRepository(AuditEvent).findAndCount({
      where: { userId },
      order: { createdAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return { items, total };
  }
}
