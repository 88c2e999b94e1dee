import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { MfaChallengeResponseDto } from '../auth/dto/mfa-challenge-response.dto.js';
import type { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { LoginSecondStep } from '../auth/login-second-step.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UsersService } from '../users/users.service.js';

/**
 * Opens the session of a sign-in at another provider, as a password login does after its password:
 * with amr `fed`, or, when the account has a second factor, a challenge to pass at
 * /auth/mfa/verify first (the session then has `fed` and `otp`).
 */
@Injectable()
export class FederatedLoginService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly secondStep: LoginSecondStep,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
  ) {}

  /** 403 `account_disabled` for a disabled account; 401 `session_ended` if it was deleted meanwhile. */
  async open(
    userId: string,
    provider: string,
    client: ClientInfo,
    cookieMode: boolean,
  ): Promise<TokenResponseDto | MfaChallengeResponseDto> {
    const answer = await this.dataSource.transaction(async (manager) => {
      // With its password hash: the code step's challenge is bound to it, as after a password login.
      const user = await this.users.lockByIdWithPassword(manager, userId);
      if (!user) throw new ApiException('session_ended', 'The account is gone');
      if (user.disabledAt) {
        this.metrics.countLogin('disabled');
        throw new ApiException('account_disabled', 'This account is disabled');
      }
      const challenge = await this.secondStep.challenge(manager, user, client, cookieMode, 'fed');
      if (challenge) return { mfaRequired: true as const, ...challenge };
      await this.audit.record(manager, { type: 'login_success', userId, client, detail: { method: 'oauth', provider } });
      return this.sessions.start(manager, user, client, ['fed']);
    });
    this.metrics.countLogin('mfaRequired' in answer ? 'mfa_required' : 'success');
    return answer;
  }
}
