import { Injectable } from '@nestjs/common';
import { PasswordService } from '../auth/password.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';

/**
 * Checks the current password asked again before a sensitive change. Each check counts against the
 * same per-account lockout as login (keyed, like login, by the normalised email), so a stolen session
 * cannot guess the password faster here than at the login form.
 */
@Injectable()
export class PasswordConfirmationService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly lockout: LoginLockoutService,
  ) {}

  /** The user with its password hash; 403 for a wrong password, 429 while the account is locked. */
  async confirm(userId: string, password: string): Promise<User> {
    const user = await this.users.getByIdWithPassword(userId);
    await this.lockout.reserve(user.email);
    if (!(await this.passwords.verify(password, user.passwordHash))) throw new ApiException('password_incorrect', 'Password is incorrect');
    await this.lockout.clear(user.email);
    return user;
  }
}
