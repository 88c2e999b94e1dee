import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { Operator } from '../common/request/operator.js';
import { Role } from '../common/request/role.enum.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService, type AccountChanges } from '../users/users.service.js';

/** Who made an admin change, for the audit log: an admin through the API, or an operator on the command line. */
export type Actor = { id: string; client: ClientInfo } | Operator;

/** An admin's audit detail names them (`by`); an operator's, the channel and the OS user. */
function actorDetail(actor: Actor): Record<string, string> {
  return 'channel' in actor ? { channel: actor.channel, operator: actor.operator } : { by: actor.id };
}

const clientOf = (actor: Actor): ClientInfo | undefined => ('channel' in actor ? undefined : actor.client);

/** A new admin account, its email and password already checked against the API's rules. */
export interface NewAdmin {
  email: string;
  password: string;
  name?: string;
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
    private readonly passwords: PasswordService,
  ) {}

  /** Creates an account with the admin role (the command line's way to make the first admin, or another). */
  async createAdmin({ email, password, name }: NewAdmin, actor: Actor): Promise<User> {
    this.passwords.assertAcceptable(password, { email });
    const passwordHash = await this.passwords.hash(password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.create(manager, { email, passwordHash, name: name ?? null, roles: [Role.User, Role.Admin] });
      await this.audit.record(manager, {
        type: 'account_created',
        userId: user.id,
        client: clientOf(actor),
        detail: { roles: user.roles, ...actorDetail(actor) },
      });
      return user;
    });
  }

  /** Ends every session of the account (its refresh tokens fail from now on, its access tokens on their next check). */
  async endSessions(id: string, actor: Actor): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // The user row first, the lock order of every flow (see SessionsService.logoutAll).
      if (!(await this.users.lockById(manager, id))) throw new NotFoundException('User not found');
      const ended = await this.sessions.endAll(manager, id, 'ended_by_operator');
      // A pending email change was asked for from one of these sessions: it ends with them.
      await spendOneTimeTokens(manager, id, 'change_email');
      await this.audit.record(manager, {
        type: 'sessions_ended',
        userId: id,
        client: clientOf(actor),
        detail: { sessions: ended, ...actorDetail(actor) },
      });
      return ended;
    });
  }

  update(id: string, changes: AccountChanges, actor: Actor): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      // The user rows are locked first, then the token and session rows: the lock order of every flow.
      const { before, after } = await this.users.update(manager, id, changes);
      // A disabled account's mailed links die with it (a pending email change would otherwise survive).
      if (changes.disabled === true) await spendOneTimeTokens(manager, id, 'verify_email', 'reset_password', 'change_email');
      const record = (type: 'roles_changed' | 'account_disabled' | 'account_enabled', detail = {}) =>
        this.audit.record(manager, { type, userId: id, client: clientOf(actor), detail: { ...actorDetail(actor), ...detail } });

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
      const detail = 'id' in actor && actor.id === id ? {} : actorDetail(actor);
      await this.audit.record(manager, { type: 'account_deleted', userId: id, client: clientOf(actor), detail });
    });
  }
}
