import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { UsersService } from '../users/users.service.js';
import { AccountMailer } from './account-mailer.js';
import { PasswordConfirmationService } from './password-confirmation.service.js';

/** What a signed-in person does to their own account: change the password, or delete the account. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly confirmation: PasswordConfirmationService,
    private readonly sessions: SessionsService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditService,
  ) {}

  /**
   * Every other session ends; this one stays. Outstanding reset and email-change links are spent (a
   * pending email change must not outlive the password that asked for it). The account address is told.
   */
  async changePassword(auth: AuthUser, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    const user = await this.confirmation.confirm(auth.user.id, currentPassword);
    if (newPassword === currentPassword)
      throw new ApiException('password_policy', 'The new password must differ from the current one');
    this.passwords.assertAcceptable(newPassword, user, 'newPassword');
    const newHash = await this.passwords.hash(newPassword);
    const email = await this.dataSource.transaction(async (manager) => {
      // A reset or another change that won the race makes this one a conflict, not a silent overwrite.
      const current = await this.confirmation.hold(manager, user, auth);
      await spendOneTimeTokens(manager, user.id, 'reset_password', 'change_email');
      await this.users.setPasswordHash(manager, user.id, newHash);
      const ended = await this.sessions.endAll(manager, user.id, 'password_changed', auth.sessionId);
      await this.audit.record(manager, { type: 'password_changed', userId: user.id, client, detail: { sessionsEnded: ended } });
      return current.email;
    });
    this.mailer.passwordChanged(email, client);
  }

  /** The account, its sessions and tokens go; the email can be registered again. */
  async deleteAccount(userId: string, password: string, client: ClientInfo): Promise<void> {
    await this.confirmation.confirm(userId, password);
    await this.dataSource.transaction(async (manager) => {
      await this.users.remove(manager, userId);
      await this.audit.record(manager, { type: 'account_deleted', userId, client });
    });
  }
}
