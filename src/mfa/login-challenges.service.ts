import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { LoginSecondStep, type SecondStepChallenge, type SecondStepHandler } from '../auth/login-second-step.js';
import { spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { LoginLockoutService } from '../rate-limit/login-lockout.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { LoginChallenge } from './entities/login-challenge.entity.js';
import { MfaNotices } from './mfa-notices.js';
import { CODE_REPLAYED, CODE_WRONG, MfaService, type CodeMethod } from './mfa.service.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { purgeSpentOrExpired } from '../common/database/purge-spent.js';
import type { AuthMethod } from '../common/request/auth-methods.js';
import { sha256Hex } from '../common/crypto/sha256.js';

const CHALLENGE_TTL_MS = 5 * 60_000;
/** Wrong codes one mfaToken takes before it dies (each also counts toward the account's lockout). */
export const CHALLENGE_MAX_ATTEMPTS = 5;
const MFA_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_INVALID = 'This sign-in has expired or was already used: log in again';

/** What a challenge remembers of the password it followed: a change or reset kills it. (No password: a provider sign-in.) */
const passwordDigest = (user: { passwordHash: string | null }) => sha256Hex(user.passwordHash ?? '');

type Outcome =
  | { kind: 'dead' }
  | { kind: 'wrong'; userId: string; replayed: boolean }
  | { kind: 'passed'; tokens: TokenResponseDto; method: CodeMethod; recoveryCodesLeft: number };

/**
 * The login's second step. Registered with auth's LoginSecondStep, it answers a right password of an
 * account with an authenticator app with a challenge (the `mfaToken`) instead of a session, and opens
 * the session once a code is sent with it.
 */
@Injectable()
export class LoginChallengesService implements SecondStepHandler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mfa: MfaService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly lockout: LoginLockoutService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly notices: MfaNotices,
    secondStep: LoginSecondStep,
  ) {
    secondStep.register(this);
  }

  isRequired(userId: string): Promise<boolean> {
    return this.mfa.isEnabled(userId);
  }

  /** Bound to this login: its user, its password, its transport (cookie mode or not); 5 minutes, once, 5 wrong codes. */
  async challenge(
    manager: EntityManager,
    user: User,
    _client: ClientInfo,
    cookieMode: boolean,
    firstMethod: AuthMethod,
  ): Promise<SecondStepChallenge | null> {
    if (!(await this.mfa.isEnabled(user.id, manager))) return null;
    const mfaToken = randomBytes(32).toString('base64url');
    await manager.insert(LoginChallenge, {
      userId: user.id,
      tokenHash: sha256Hex(mfaToken),
      cookieMode,
      firstMethod,
      passwordDigest: passwordDigest(user),
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
    });
    return { mfaToken, methods: ['totp', 'recovery_code'] };
  }

  /**
   * Spends the challenge with a code and opens the session (amr `pwd`, `otp`). Each try counts against
   * the account's lockout like a password; a wrong code also counts against the challenge.
   */
  async verify(mfaToken: string, code: string, client: ClientInfo, cookieMode: boolean): Promise<TokenResponseDto> {
    const found = await this.find(this.dataSource.manager, mfaToken);
    if (!found || !usable(found, cookieMode)) throw new ApiException('mfa_token_invalid', TOKEN_INVALID);
    const user = await this.users.findByIdWithPassword(found.userId);
    if (!user) throw new ApiException('mfa_token_invalid', TOKEN_INVALID);
    return this.lockout.attempt({ userId: user.id }, async () => {
      const outcome = await this.dataSource.transaction((manager) => this.spend(manager, found.id, code, client, cookieMode));
      switch (outcome.kind) {
        case 'dead':
          throw new ApiException('mfa_token_invalid', TOKEN_INVALID);
        case 'wrong':
          await this.audit.record(this.dataSource.manager, {
            type: 'login_failure',
            userId: outcome.userId,
            client,
            identifier: user.email ?? user.username ?? undefined,
            detail: { reason: 'wrong_code' },
          });
          throw new ApiException('mfa_code_invalid', outcome.replayed ? CODE_REPLAYED : CODE_WRONG);
        case 'passed':
          this.metrics.countLogin('success');
          if (outcome.method === 'recovery_code') this.notices.recoveryCodeUsed(user.email, outcome.recoveryCodesLeft, client);
          return outcome.tokens;
      }
    });
  }

  /** Deletes up to `limit` challenges expired or spent before `cutoff`, in the caller's transaction; how many. */
  purgeBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return purgeSpentOrExpired(manager, 'login_challenges', cutoff, limit);
  }

  /** The user row first, then the challenge's (the lock order of every flow); a wrong code's count commits. */
  private async spend(
    manager: EntityManager,
    id: string,
    code: string,
    client: ClientInfo,
    cookieMode: boolean,
  ): Promise<Outcome> {
    const challenge = await manager.findOneBy(LoginChallenge, { id });
    const user = challenge && (await this.users.lockByIdWithPassword(manager, challenge.userId));
    const locked = await manager.findOne(LoginChallenge, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!user || !locked || !usable(locked, cookieMode) || user.disabledAt || passwordDigest(user) !== locked.passwordDigest)
      return { kind: 'dead' };
    const { method, replayed } = await this.mfa.checkCode(manager, user.id, code);
    if (!method) {
      await manager.increment(LoginChallenge, { id }, 'attempts', 1);
      return { kind: 'wrong', userId: user.id, replayed };
    }
    await manager.update(LoginChallenge, { id }, { usedAt: new Date() });
    await spendOneTimeTokens(manager, user.id, 'reset_password');
    const recoveryCodesLeft = await this.recoveryCodes.countLeft(manager, user.id);
    await this.audit.record(manager, {
      type: 'login_success',
      userId: user.id,
      client,
      detail: { method, ...(method === 'recovery_code' && { recoveryCodesLeft }) },
    });
    const tokens = await this.sessions.start(manager, user, client, [locked.firstMethod, 'otp']);
    return { kind: 'passed', tokens, method, recoveryCodesLeft };
  }

  private find(manager: EntityManager, mfaToken: string): Promise<LoginChallenge | null> {
    if (!MFA_TOKEN.test(mfaToken)) return Promise.resolve(null);
    return manager.findOneBy(LoginChallenge, { tokenHash: sha256Hex(mfaToken) });
  }
}

/** Unspent, in time, under its wrong-code limit, and asked for in the transport the login used. */
function usable(challenge: LoginChallenge, cookieMode: boolean): boolean {
  return (
    challenge.usedAt === null &&
    challenge.expiresAt.getTime() > Date.now() &&
    challenge.attempts < CHALLENGE_MAX_ATTEMPTS &&
    challenge.cookieMode === cookieMode
  );
}
