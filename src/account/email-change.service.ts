import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../auth/auth-user.js';
import { OneTimeTokensService } from '../auth/one-time-tokens.service.js';
import { PasswordService } from '../auth/password.service.js';
import { UsersService } from '../users/users.service.js';
import { AccountMailer } from './account-mailer.js';

/** A new address takes effect only when the link mailed to it is followed. */
@Injectable()
export class EmailChangeService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditService,
  ) {}

  /** Answers the same whether the new address is free or taken, so it tells no one who is registered. */
  async request(userId: string, newEmail: string, password: string, client: ClientInfo): Promise<void> {
    const user = await this.users.getByIdWithPassword(userId);
    if (!(await this.passwords.verify(password, user.passwordHash))) throw new ForbiddenException('Password is incorrect');
    if (newEmail === user.email) throw new BadRequestException('That is already the address of your account');
    // The same event and nearly the same work either way; a taken address just gets no link.
    const taken = (await this.users.findByEmail(newEmail)) !== null;
    const token = await this.dataSource.transaction(async (manager) => {
      await this.audit.record({ type: 'email_change_requested', userId, client }, manager);
      return taken ? null : this.oneTimeTokens.issue(manager, user, 'change_email', newEmail);
    });
    if (token) this.mailer.confirmEmailChange(newEmail, token);
  }

  async confirm(token: string, client: ClientInfo): Promise<void> {
    const change = await this.dataSource.transaction(async (manager) => {
      const used = await this.oneTimeTokens.consume(manager, token, 'change_email');
      const user = await this.users.findById(used.userId, manager);
      if (!user || user.email !== used.email || !used.newEmail) {
        throw new BadRequestException('This token no longer matches the account');
      }
      await this.users.changeEmail(manager, user.id, used.newEmail);
      // Links mailed to the old address must not work for the new owner of the account.
      await this.oneTimeTokens.spendAll(manager, user.id, 'verify_email');
      await this.oneTimeTokens.spendAll(manager, user.id, 'reset_password');
      await this.audit.record({ type: 'email_changed', userId: user.id, client }, manager);
      return { from: user.email, to: used.newEmail };
    });
    this.mailer.emailChanged(change.from, change.to);
  }
}
