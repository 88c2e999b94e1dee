import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { Session } from '../auth/entities/session.entity.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { UsersService } from '../users/users.service.js';

/**
 * An admin looks at someone's live sessions (where and when they sign in from) and ends one of them.
 * Both are audited under the user's id and name the admin: reading them shows personal data (IPs,
 * browsers), ending one signs that device out on its next request, on every instance.
 */
@Injectable()
export class AdminSessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  /** The user's live sessions, most recently used first; 404 when there is no such user. */
  async list(userId: string, admin: { id: string; client: ClientInfo }): Promise<Session[]> {
    await this.users.getById(userId);
    const sessions = await this.sessions.listActive(userId);
    await this.audit.record(this.dataSource.manager, {
      type: 'sessions_viewed_by_admin',
      userId,
      client: admin.client,
      detail: { by: admin.id, sessions: sessions.length },
    });
    return sessions;
  }

  /** Ends one live session of the user; 404 when it is not one of them (or the user is gone). */
  end(userId: string, sessionId: string, admin: { id: string; client: ClientInfo }): Promise<void> {
    return this.sessions.end(userId, sessionId, 'ended_by_admin', admin.client, admin.id);
  }
}
