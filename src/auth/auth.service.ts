import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService, type LoginIdentifier } from '../users/users.service.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { MfaChallengeResponseDto } from './dto/mfa-challenge-response.dto.js';
import { TokenResponseDto } from './dto/token-response.dto.js';
import { LoginSecondStep } from './login-second-step.js';
import { spendOneTimeTokens } from './one-time-tokens.service.js';
import { PasswordService } from './password.service.js';
import { SessionsService } from './sessions.service.js';

export const INVALID_CREDENTIALS = 'Invalid email, username or password';

/** Password login: the check behind the local strategy, and the session it opens. */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly secondStep: LoginSecondStep,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /** The account a login names, with its password hash; null when none does. */
  findAccount(identifier: LoginIdentifier): Promise<User | null> {
    return this.users.findForLogin(identifier);
  }

  /**
   * One answer for an unknown email or username and a wrong password, after the same amount of work
   * (an account without a password is refused the same way). Only a caller who knows the password
   * learns that the account is disabled or unverified.
   */
  async checkCredentials(user: User | null, identifier: LoginIdentifier, password: string, client: ClientInfo): Promise<User> {
    const named = 'email' in identifier ? identifier.email : identifier.username;
    const valid = await this.passwords.verify(password, user?.passwordHash);
    if (!user || !valid) {
      this.metrics.countLogin(user ? 'wrong_password' : 'unknown_account');
      const reason = user ? 'wrong_password' : 'email' in identifier ? 'unknown_email' : 'unknown_username';
      await this.recordFailure(user?.id ?? null, reason, client, named);
      throw new ApiException('invalid_credentials', INVALID_CREDENTIALS);
    }
    if (user.disabledAt) {
      this.metrics.countLogin('disabled');
      await this.recordFailure(user.id, 'account_disabled', client, named);
      throw new ApiException('account_disabled', 'This account is disabled');
    }
    if (this.config.requireEmailVerification && !user.emailVerifiedAt) {
      this.metrics.countLogin('unverified');
      await this.recordFailure(user.id, 'email_not_verified', client, named);
      throw new ApiException(
        'email_not_verified',
        'Verify your email address before logging in: follow the link in the mail we sent you',
      );
    }
    if (user.passwordHash && this.passwords.needsRehash(user.passwordHash)) {
      // BCRYPT_COST was raised: the password is at hand, so bring its hash up to the new cost
      // (only if no reset or change replaced the hash meanwhile).
      const upgraded = await this.passwords.hash(password);
      if (await this.users.replacePasswordHash(user.id, user.passwordHash, upgraded)) user.passwordHash = upgraded;
    }
    return user;
  }

  /**
   * Opens the session; a successful login also spends any outstanding password reset link. The user
   * row is locked and checked again: a password reset, change, disabling or deletion that committed
   * after the password check must not let this session through. When the account has a second
   * factor, no session opens: the answer is a challenge to pass at that feature's route.
   */
  async login(user: User, client: ClientInfo, cookieMode: boolean): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const answer = await this.dataSource.transaction(async (manager) => {
      const current = await this.users.lockByIdWithPassword(manager, user.id);
      if (!current || current.passwordHash !== user.passwordHash || current.disabledAt)
        throw new ApiException('invalid_credentials', INVALID_CREDENTIALS);
      const challenge = await this.secondStep.challenge(manager, current, client, cookieMode);
      if (challenge) return { mfaRequired: true as const, ...challenge };
      await spendOneTimeTokens(manager, user.id, 'reset_password');
      await this.audit.record(manager, { type: 'login_success', userId: user.id, client });
      return this.sessions.start(manager, user, client, ['pwd']);
    });
    this.metrics.countLogin('mfaRequired' in answer ? 'mfa_required' : 'success');
    return answer;
  }

  private recordFailure(userId: string | null, reason: string, client: ClientInfo, identifier: string): Promise<void> {
    return this.audit.record(this.dataSource.manager, { type: 'login_failure', userId, client, identifier, detail: { reason } });
  }
}
