import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser, ClientInfo } from '../auth/auth-user.js';
import { OneTimeTokensService } from '../auth/one-time-tokens.service.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { UsersService } from '../users/users.service.js';

/** What a signed-in person does to their own account: change the password, or delete the account. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly audit: AuditService,
  ) {}

  /** Every other session ends; this one stays. Outstanding reset links are spent. */
  async changePassword(auth: AuthUser, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    await this.confirmPassword(auth.user.id, currentPassword);
    if (newPassword === currentPassword) throw new BadRequestException('The new password must differ from the current one');
    this.passwords.assertAcceptable(newPassword, auth.user.email, 'newPassword');
    const newHash = await this.passwords.hash(newPassword);
    await this.dataSource.transaction(async (manager) => {
      await this.users.setPasswordHash(manager, auth.user.id, newHash);
      await this.oneTimeTokens.spendAll(manager, auth.user.id, 'reset_password');
      const ended = await this.sessions.endAll(manager, auth.user.id, 'password_changed', auth.sessionId);
      await this.audit.record({ type: 'password_changed', userId: auth.user.id, client, detail: { sessionsEnded: ended } }, manager);
    });
  }

  /** The account, its sessions and tokens go; the email can be registered again. */
  async deleteAccount(userId: string, password: string, client: ClientInfo): Promise<void> {
    await this.confirmPassword(userId, password);
    await this.users.remove(userId, { id: userId, client });
  }

  private async confirmPassword(userId: string, password: string): Promise<void> {
    const user = await this.users.getByIdWithPassword(userId);
    if (!(await this.passwords.verify(password, user.passwordHash))) throw new ForbiddenException('Password is incorrect');
  }
}
