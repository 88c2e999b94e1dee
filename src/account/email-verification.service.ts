import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { RequestUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { OneTimeTokensService, spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { UsersService } from '../users/users.service.js';
import { AccountMailer } from './account-mailer.js';

@Injectable()
export class EmailVerificationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditService,
  ) {}

  /** Issues a verification token inside the caller's transaction; returns the mailing, to run once it commits. */
  async prepare(manager: EntityManager, user: Pick<RequestUser, 'id' | 'email'>): Promise<() => void> {
    const { email } = user;
    if (email === null) return () => undefined;
    const token = await this.oneTimeTokens.issue(manager, user, 'verify_email');
    return () => this.mailer.verifyEmail(email, token);
  }

  async request(user: RequestUser, client: ClientInfo): Promise<void> {
    if (user.emailVerifiedAt) throw new ApiException('already_verified', 'Your email address is already verified');
    if (user.email === null)
      throw new ApiException(
        'email_missing',
        'This account has no email address: add one (POST /api/v1/auth/email/change) first',
      );
    const send = await this.dataSource.transaction(async (manager) => {
      await this.audit.record(manager, { type: 'email_verification_requested', userId: user.id, client });
      return this.prepare(manager, user);
    });
    send();
  }

  async verify(token: string, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // The user row before the token row, the lock order of every flow that spends links.
      const pending = await this.oneTimeTokens.check(manager, token, 'verify_email');
      const user = await this.users.lockById(manager, pending.userId);
      const used = await this.oneTimeTokens.consume(manager, token, 'verify_email');
      if (!user || user.email !== used.email) {
        throw new ApiException('one_time_token_invalid', 'This token was sent to an address the account no longer uses');
      }
      // The owner of the address has shown up: a pending move to another address is not theirs to keep.
      await spendOneTimeTokens(manager, user.id, 'change_email');
      await this.users.markEmailVerified(manager, user.id);
      await this.audit.record(manager, { type: 'email_verified', userId: user.id, client });
    });
  }
}
