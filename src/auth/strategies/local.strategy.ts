import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-local';
import type { User } from '../../users/entities/user.entity.js';
import { LoginLockoutService } from '../../rate-limit/login-lockout.service.js';
import { AuthService } from '../auth.service.js';
import { clientInfo } from '../../common/request/client-info.js';

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly auth: AuthService,
    private readonly lockout: LoginLockoutService,
  ) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
  }

  /** The attempt is counted against the account before the password is checked. */
  validate(request: FastifyRequest, email: string, password: string): Promise<User> {
    return this.lockout.attempt(email, () => this.auth.checkCredentials(email, password, clientInfo(request)));
  }
}
