import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { OneTimeTokensService, spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { UsersService } from '../users/users.service.js';
import { AccountMailer } from './account-mailer.js';
import { CHANGED, PasswordConfirmationService } from './password-confirmation.service.js';

/** A new address takes effect only when the link mailed to it is followed. */
@Injectable()
export class EmailChangeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly confirmation: PasswordConfirmationService,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditService,
  ) {}

  /** Answers the same whether the new address is free or taken, so it tells no one who is registered. */
  async request(auth: AuthUser, newEmail: string, password: string, client: ClientInfo): Promise<void> {
    const userId = auth.user.id;
    const user = await this.confirmation.confirm(userId, password);
    if (newEmail === user.email) throw new ApiException('email_unchanged', 'That is already the address of your account');
    // The same event and nearly the same work either way; a taken address just gets no link.
    const taken = (await this.users.findByEmail(newEmail)) !== null;
    const token = await this.dataSource.transaction(async (manager) => {
      // Under the user row lock, which every flow that spends pending links takes first: a reset,
      // change, disabling or log-out-everywhere either shows here, or comes after and spends this link.
      const current = await this.confirmation.hold(manager, user, auth);
      // A verification of the address meanwhile spent pending links: this one must not outlive it either.
      if (current.email !== user.email || current.emailVerifiedAt?.getTime() !== user.emailVerifiedAt?.getTime()) {
        throw new ApiException('conflict', CHANGED);
      }
      await this.audit.record(manager, { type: 'email_change_requested', userId, client });
      return taken ? null : this.oneTimeTokens.issue(manager, user, 'change_email', newEmail);
    });
    if (token) this.mailer.confirmEmailChange(newEmail, token);
  }

  /**
   * A password reset or change, disabling, logging out everywhere and verification of the current
   * address all spend pending links, so a link cannot outlive the control that asked for it.
   */
  async confirm(token: string, client: ClientInfo): Promise<void> {
    const change = await this.dataSource.transaction(async (manager) => {
      // The user row before the token row, the lock order of every flow that spends links.
      const pending = await this.oneTimeTokens.check(manager, token, 'change_email');
      const user = await this.users.lockById(manager, pending.userId);
      const used = await this.oneTimeTokens.consume(manager, token, 'change_email');
      if (!user || user.disabledAt || user.email !== used.email || !used.newEmail) {
        throw new ApiException('one_time_token_invalid', 'This token no longer matches the account');
      }
      await this.users.changeEmail(manager, user.id, used.newEmail);
      // Links mailed to the old address must not work for the new owner of the account.
      await spendOneTimeTokens(manager, user.id, 'verify_email', 'reset_password');
      await this.audit.record(manager, { type: 'email_changed', userId: user.id, client });
      return { from: user.email, to: used.newEmail };
    });
    this.mailer.emailChanged(change.from, change.to);
  }
}
