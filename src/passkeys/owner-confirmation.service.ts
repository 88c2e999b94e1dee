import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthUser } from '../common/request/auth-user.js';
import { CODE_REPLAYED, CODE_WRONG, MfaService } from '../mfa/mfa.service.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { RemovePasskeyDto } from './dto/remove-passkey.dto.js';

const SESSION_ENDED = 'Session has ended';

/**
 * The owner proves it again before a passkey goes: the password or a second-factor code (of the
 * authenticator app, or a recovery code, which is then spent), either counted against the same
 * per-account lockout as login, so a stolen session guesses no faster here.
 */
@Injectable()
export class OwnerConfirmationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly mfa: MfaService,
    private readonly lockout: LoginLockoutService,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * Exactly one of `password` and `code`: 400 otherwise, 403 for a wrong password or code, 409 for a
   * code when the account has no authenticator app, 429 while locked out.
   */
  async confirm(userId: string, { password, code }: RemovePasskeyDto): Promise<void> {
    if ((password === undefined) === (code === undefined)) {
      throw new ApiException('validation_failed', ['send either password or code (exactly one)']);
    }
    const user = await this.users.findByIdWithPassword(userId);
    if (!user) throw new ApiException('session_ended', SESSION_ENDED);
    if (code !== undefined) {
      // Checked before the lockout counts: no attempt to spend on an account that has no code at all.
      if (!(await this.mfa.isEnabled(userId)))
        throw new ApiException('mfa_not_enabled', 'This account has no authenticator app: confirm with your password');
      return this.lockout.attempt({ userId: user.id }, () => this.checkCode(userId, code));
    }
    await this.lockout.attempt({ userId: user.id }, async () => {
      if (!(await this.passwords.verify(password!, user.passwordHash)))
        throw new ApiException('password_incorrect', 'Password is incorrect');
    });
  }

  /** Under the user's row lock, as the second-factor routes check codes; a TOTP step or recovery code is taken. */
  private checkCode(userId: string, code: string): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await this.users.lockById(manager, userId);
      const { method, replayed } = await this.mfa.checkCode(manager, userId, code);
      if (!method) throw new ApiException('mfa_code_incorrect', replayed ? CODE_REPLAYED : CODE_WRONG);
    });
  }

  /**
   * Locks the user row in the caller's transaction (before any other row, the order every flow keeps):
   * 401 when the account or the caller's session has gone meanwhile. Returns the user as locked.
   */
  async hold(manager: EntityManager, auth: AuthUser): Promise<User> {
    const current = await this.users.lockById(manager, auth.user.id);
    if (!current || current.disabledAt || !(await this.sessions.isLive(manager, auth.sessionId))) {
      throw new ApiException('session_ended', SESSION_ENDED);
    }
    return current;
  }
}
