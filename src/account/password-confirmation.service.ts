import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AuthUser } from '../common/request/auth-user.js';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';

const SESSION_ENDED = 'Session has ended';
export const CHANGED = 'The account changed while your request was being checked; try again';

/**
 * Checks the current password asked again before a sensitive change. Each check counts against the
 * same per-account lockout as login (keyed, like login, by the account), so a stolen session
 * cannot guess the password faster here than at the login form.
 */
@Injectable()
export class PasswordConfirmationService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly lockout: LoginLockoutService,
  ) {}

  /** The user with its password hash; 403 for a wrong password, 429 while the account is locked, 401 once the account is gone. */
  async confirm(userId: string, password: string): Promise<User> {
    const user = await this.users.findByIdWithPassword(userId);
    if (!user) throw new ApiException('session_ended', SESSION_ENDED);
    await this.lockout.attempt({ userId: user.id }, async () => {
      if (!(await this.passwords.verify(password, user.passwordHash)))
        throw new ApiException('password_incorrect', 'Password is incorrect');
    });
    return user;
  }

  /**
   * Locks the user row in the caller's transaction (before any token row, the order every flow keeps)
   * and makes sure the confirmation still holds: 401 when the account or the caller's session has gone
   * meanwhile (deleted, disabled, logged out everywhere), 409 when a reset or change replaced the
   * confirmed password. 409 rather than 403: the password was right when checked, and a retry gets
   * the true answer. Returns the user as locked.
   */
  async hold(manager: EntityManager, confirmed: User, auth: AuthUser): Promise<User> {
    const current = await this.users.lockByIdWithPassword(manager, confirmed.id);
    if (!current || current.disabledAt || !(await this.sessions.isLive(manager, auth.sessionId))) {
      throw new ApiException('session_ended', SESSION_ENDED);
    }
    if (current.passwordHash !== confirmed.passwordHash) throw new ApiException('conflict', CHANGED);
    return current;
  }
}
