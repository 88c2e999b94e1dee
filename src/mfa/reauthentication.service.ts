import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { PasswordService } from '../auth/password.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthUser } from '../common/request/auth-user.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';

const SESSION_ENDED = 'Session has ended';

/**
 * A change to how the account signs in, made once the password is asked again. The check counts
 * against the login's per-account lockout (keyed by the account, as login is), and so does any refusal
 * of the work that follows (a wrong code): a stolen session guesses no faster here than at login.
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly lockout: LoginLockoutService,
  ) {}

  /**
   * Runs `work` in a transaction once the password is right, the user row locked (before any other
   * row, the order every flow keeps) and the caller's session still live: 403 `password_incorrect`,
   * 429 while locked, 401 once the account or session is gone, 409 when the password changed meanwhile.
   */
  async run<T>(auth: AuthUser, password: string, work: (manager: EntityManager, user: User) => Promise<T>): Promise<T> {
    const user = await this.users.findByIdWithPassword(auth.user.id);
    if (!user) throw new ApiException('session_ended', SESSION_ENDED);
    return this.lockout.attempt({ userId: user.id }, async () => {
      if (!(await this.passwords.verify(password, user.passwordHash)))
        throw new ApiException('password_incorrect', 'Password is incorrect');
      return this.dataSource.transaction(async (manager) => {
        const current = await this.hold(manager, auth);
        if (current.passwordHash !== user.passwordHash)
          throw new ApiException('conflict', 'The account changed while your request was being checked; try again');
        return work(manager, current);
      });
    });
  }

  /**
   * As `run` without the password, for a step a code alone proves (confirming a new authenticator
   * app): the work, in a transaction on the locked user row, still counts against the lockout, so a
   * stolen session cannot guess a pending app's codes without end.
   */
  counted<T>(auth: AuthUser, work: (manager: EntityManager, user: User) => Promise<T>): Promise<T> {
    return this.lockout.attempt({ userId: auth.user.id }, () =>
      this.dataSource.transaction(async (manager) => work(manager, await this.hold(manager, auth))),
    );
  }

  /** Locks the caller's user row in the transaction; 401 when the account is disabled or gone or the session has ended. */
  async hold(manager: EntityManager, auth: AuthUser): Promise<User> {
    const current = await this.users.lockByIdWithPassword(manager, auth.user.id);
    if (!current || current.disabledAt || !(await this.sessions.isLive(manager, auth.sessionId)))
      throw new ApiException('session_ended', SESSION_ENDED);
    return current;
  }
}
