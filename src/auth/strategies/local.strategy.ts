import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import type { User } from '../../users/entities/user.entity.js';
import { LoginLockoutService } from '../../rate-limit/login-lockout.service.js';
import { AuthService } from '../auth.service.js';
import { LoginSecondStep } from '../login-second-step.js';
import { clientInfo } from '../../common/request/client-info.js';
import { TooManyRequestsException } from '../../common/errors/too-many-requests.exception.js';
import { MetricsService } from '../../metrics/metrics.service.js';

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly auth: AuthService,
    private readonly lockout: LoginLockoutService,
    private readonly metrics: MetricsService,
    private readonly secondStep: LoginSecondStep,
  ) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
  }

  /**
   * The attempt is counted against the account before the password is checked. A right password
   * clears the count only when no second step follows: otherwise each login would wipe the wrong
   * codes counted since, and codes could be guessed without end between logins.
   */
  async validate(request: FastifyRequest, email: string, password: string): Promise<User> {
    try {
      return await this.lockout.attempt(
        email,
        () => this.auth.checkCredentials(email, password, clientInfo(request)),
        async (user) => !(await this.secondStep.isRequired(user.id)),
      );
    } catch (error) {
      if (error instanceof TooManyRequestsException && error.code === 'account_locked') this.metrics.countLogin('locked');
      throw error;
    }
  }
}
