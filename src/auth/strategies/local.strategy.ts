import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import type { User } from '../../users/entities/user.entity.js';
import type { LoginIdentifier } from '../../users/users.service.js';
import { usernameKey } from '../../common/validation/username.js';
import type { LoginDto } from '../dto/login.dto.js';
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
    super({ usernameField: 'identifier', passwordField: 'password', passReqToCallback: true });
  }

  /**
   * The body was validated by LocalAuthGuard (a `LoginDto`: an email or a username). The attempt is
   * counted against the account before the password is checked: by the account's id when it exists,
   * so its email and its username share one count. A right password clears the count only when no
   * second step follows: otherwise each login would wipe the wrong codes counted since, and codes
   * could be guessed without end between logins.
   */
  async validate(request: FastifyRequest, _identifier: string, password: string): Promise<User> {
    const identifier = (request.body as LoginDto).toIdentifier();
    const user = await this.auth.findAccount(identifier);
    try {
      return await this.lockout.attempt(
        user ? { userId: user.id, identifier: lockoutName(identifier) } : { identifier: lockoutName(identifier) },
        () => this.auth.checkCredentials(user, identifier, password, clientInfo(request)),
        async (checked) => !(await this.secondStep.isRequired(checked.id)),
      );
    } catch (error) {
      if (error instanceof TooManyRequestsException && error.code === 'account_locked') this.metrics.countLogin('locked');
      throw error;
    }
  }
}

/** An unknown identifier's lockout name: the email as given (lower-cased), a username by its key. */
function lockoutName(identifier: LoginIdentifier): string {
  return 'email' in identifier ? identifier.email : usernameKey(identifier.username);
}
