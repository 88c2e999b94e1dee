import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthUser } from '../common/request/auth-user.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { RemovePasskeyDto } from './dto/remove-passkey.dto.js';
import { SecondFactorCheck } from './second-factor-check.js';

const SESSION_ENDED = 'Session has ended';

/**
 * The owner proves it again before a passkey goes: the password (counted against the same
 * per-account lockout as login, so a stolen session guesses no faster here) or a second-factor code.
 */
@Injectable()
export class OwnerConfirmationService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly lockout: LoginLockoutService,
    private readonly sessions: SessionsService,
    private readonly secondFactor: SecondFactorCheck,
  ) {}

  /** Exactly one of `password` and `code`: 400 otherwise, 403 for a wrong password, 429 while locked out. */
  async confirm(userId: string, { password, code }: RemovePasskeyDto): Promise<void> {
    if ((password === undefined) === (code === undefined)) {
      throw new ApiException('validation_failed', ['send either password or code (exactly one)']);
    }
    if (code !== undefined) return this.secondFactor.verify(userId, code);
    const user = await this.users.findByIdWithPassword(userId);
    if (!user) throw new ApiException('session_ended', SESSION_ENDED);
    await this.lockout.attempt(user.email, async () => {
      if (!(await this.passwords.verify(password!, user.passwordHash)))
        throw new ApiException('password_incorrect', 'Password is incorrect');
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
