import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService, type AccountChanges } from '../users/users.service.js';

/** Who made an admin change, for the audit log. */
export interface Actor {
  id: string;
  client: ClientInfo;
}

/**
 * What an admin does to someone else's account. Roles and disabling apply on the user's next
 * request; disabling also ends its sessions and its mailed links. UsersService keeps the last
 * active admin.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  update(id: string, changes: AccountChanges, actor: Actor): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      // The user rows are locked first, then the token and session rows: the lock order of every flow.
      const { before, after } = await this.users.update(manager, id, changes);
      // A disabled account's mailed links die with it (a pending email change would otherwise survive).
      if (changes.disabled === true) await spendOneTimeTokens(manager, id, 'verify_email', 'reset_password', 'change_email');
      const record = (type: 'roles_changed' | 'account_disabled' | 'account_enabled', detail = {}) =>
        this.audit.record(manager, { type, userId: id, client: actor.client, detail: { by: actor.id, ...detail } });

      if (before.roles.join() !== after.roles.join()) await record('roles_changed', { from: before.roles, to: after.roles });
      if (!before.disabledAt && after.disabledAt) {
        await this.sessions.endAll(manager, id, 'account_disabled');
        await record('account_disabled');
      } else if (before.disabledAt && !after.disabledAt) {
        await record('account_enabled');
      }
      return after;
    });
  }

  /** The account, its sessions and tokens go; the email can be registered again. */
  async remove(id: string, actor: Actor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.users.remove(manager, id);
      const detail: Record<string, string> = actor.id === id ? {} : { by: actor.id };
      await this.audit.record(manager, { type: 'account_deleted', userId: id, client: actor.client, detail });
    });
  }
}
