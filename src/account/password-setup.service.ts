import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { UsersService } from '../users/users.service.js';
import { AccountMailer } from './account-mailer.js';

/** How recent the sign-in must be: it stands in for the current password the account does not have. */
export const FRESH_SIGN_IN_MS = 10 * 60_000;

/**
 * A first password for an account made by a provider sign-in, so that the routes which ask for the
 * password (two-step verification, email change, deletion) work for it too. With no password to ask
 * again, a sign-in of the last 10 minutes is the proof; a refreshed old session is not.
 */
@Injectable()
export class PasswordSetupService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditService,
  ) {}

  async setFirst(auth: AuthUser, newPassword: string, client: ClientInfo): Promise<void> {
    this.passwords.assertAcceptable(newPassword, auth.user, 'newPassword');
    const hash = await this.passwords.hash(newPassword);
    const email = await this.dataSource.transaction(async (manager) => {
      const user = await this.users.lockByIdWithPassword(manager, auth.user.id);
      if (!user || user.disabledAt) throw new ApiException('session_ended', 'Session has ended');
      if (user.passwordHash !== null)
        throw new ApiException('password_already_set', 'This account has a password: change it with the current one');
      if (!(await this.sessions.isFresh(manager, auth.sessionId, FRESH_SIGN_IN_MS)))
        throw new ApiException(
          'reauthentication_required',
          'Sign in again (within the last 10 minutes) before setting a password for this account',
        );
      await this.users.setPasswordHash(manager, user.id, hash);
      await this.audit.record(manager, { type: 'password_changed', userId: user.id, client, detail: { first: true } });
      return user.email;
    });
    this.mailer.passwordChanged(email, client);
  }
}
