import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ClientInfo } from '../common/request/client-info.js';
import { AuditEvent, type AuditEventType } from './entities/audit-event.entity.js';

export interface AuditRecord {
  type: AuditEventType;
  userId: string | null;
  client?: ClientInfo;
  detail?: AuditEvent['detail'];
}

/** Records security events in the caller's transaction, so an event is kept only if its change is. */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, { type, userId, client, detail = {} }: AuditRecord): Promise<void> {
    await manager.insert(AuditEvent, { type, userId, ip: client?.ip ?? null, userAgent: client?.userAgent ?? null, detail });
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
