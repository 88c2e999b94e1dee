import { BeforeApplicationShutdown, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { Operator } from '../common/request/operator.js';
import { OneTimeTokensService, spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { AccountMailer } from './account-mailer.js';

/** How long every forgot-password answer takes, registered email or not. */
const FORGOT_ANSWER_MS = 250;

/** "Forgot password": a mailed single-use link, then a new password that ends every session. */
@Injectable()
export class PasswordRecoveryService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(PasswordRecoveryService.name);
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly mailer: AccountMailer,
    private readonly audit: AuditService,
  ) {}

  /**
   * The answer is the same whether the email is registered or not, and comes after the same fixed
   * time (FORGOT_ANSWER_MS, longer than the one lookup takes), so timing does not tell either;
   * issuing and mailing the link happen in the background.
   */
  async forgot(email: string, client: ClientInfo): Promise<void> {
    const answerAt = Date.now() + FORGOT_ANSWER_MS;
    const user = await this.users.findByEmail(email);
    if (user?.email && !user.disabledAt) this.startResetLink({ ...user, email: user.email }, client);
    await sleep(Math.max(0, answerAt - Date.now()));
  }

  private startResetLink(user: User & { email: string }, client: ClientInfo): void {
    const work = this.sendResetLink(user, client)
      .catch((error: unknown) =>
        this.logger.error(`Could not issue a password reset link: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Links being issued when the app stops are finished first, while the database is still there. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async reset(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    // The bcrypt work comes first, outside the transaction, so no database connection waits on it.
    const pending = await this.oneTimeTokens.check(this.dataSource.manager, token, 'reset_password');
    const user = await this.users.getByIdWithPassword(pending.userId);
    if (pending.email !== user.email) {
      throw new ApiException('one_time_token_invalid', 'This token was sent to an address the account no longer uses');
    }
    // The new password may equal the current one: the link proves the inbox, not the password, and
    // comparing them would let whoever holds a link test guesses of the current password unseen.
    this.passwords.assertAcceptable(newPassword, user, 'newPassword');
    const newHash = await this.passwords.hash(newPassword);
    await this.dataSource.transaction(async (manager) => {
      // The user row before the token rows, the lock order of every flow that spends links.
      const current = await this.users.lockByIdWithPassword(manager, user.id);
      // A deleted account took its tokens with it: this answers that the link is not valid.
      await this.oneTimeTokens.consume(manager, token, 'reset_password');
      if (!current || current.passwordHash !== user.passwordHash || current.email !== user.email) {
        throw new ApiException('conflict', 'The account changed while the new password was being set; ask for a new link');
      }
      // Whoever asked to move the account elsewhere is locked out by this reset: so is their pending email change.
      await spendOneTimeTokens(manager, user.id, 'reset_password', 'change_email');
      await this.users.setPasswordHash(manager, user.id, newHash);
      // The link reached the inbox: that proves the address as well as a verification link would.
      // (An operator's link for an account without an address proves nothing of the kind.)
      if (user.email !== null) await this.users.markEmailVerified(manager, user.id);
      const ended = await this.sessions.endAll(manager, user.id, 'password_reset');
      await this.audit.record(manager, { type: 'password_reset', userId: user.id, client, detail: { sessionsEnded: ended } });
    });
    this.mailer.passwordChanged(user.email, client, 'reset');
  }

  /**
   * For an operator (the command line): a reset link for the account, answered instead of mailed, so
   * it can be handed over another way. It spends any link issued before, as a mailed one does.
   */
  async issueResetLink(userId: string, operator: Operator): Promise<string> {
    const token = await this.dataSource.transaction(async (manager) => {
      // The user row before the token rows, the lock order of every flow that issues links.
      const user = await this.users.lockById(manager, userId);
      if (!user) throw new NotFoundException('User not found');
      if (user.disabledAt) throw new ApiException('account_disabled', 'This account is disabled: enable it first');
      await this.audit.record(manager, { type: 'password_reset_requested', userId, detail: { ...operator } });
      return this.oneTimeTokens.issue(manager, user, 'reset_password');
    });
    return this.mailer.resetPasswordLink(token);
  }

  private async sendResetLink(user: User & { email: string }, client: ClientInfo): Promise<void> {
    const token = await this.dataSource.transaction(async (manager) => {
      await this.audit.record(manager, { type: 'password_reset_requested', userId: user.id, client });
      return this.oneTimeTokens.issue(manager, user, 'reset_password');
    });
    this.mailer.resetPassword(user.email, token);
  }
}
