import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { TokenResponseDto } from '../auth/dto/token-response.dto.js';
import { spendOneTimeTokens } from '../auth/one-time-tokens.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticationCredentialDto } from './dto/passkey-credential.dto.js';
import { PasskeysService } from './passkeys.service.js';
import { WebAuthnCeremonies } from './webauthn-ceremonies.js';
import { webAuthnUserHandle } from './webauthn-user-id.js';

const REFUSED = 'This passkey could not sign you in';

/** A refusal found inside the transaction, recorded once it has rolled back. */
class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly error: ApiException,
  ) {
    super(reason);
  }
}

/**
 * Usernameless sign-in with a passkey alone. A user-verified passkey is something owned (the
 * authenticator) and something known or are (its PIN or biometric): the session's amr is
 * ['webauthn'], and no second step follows.
 */
@Injectable()
export class PasskeyLoginService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passkeys: PasskeysService,
    private readonly ceremonies: WebAuthnCeremonies,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  options(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.ceremonies.authenticationOptions();
  }

  /** 400 for a spent or unknown challenge, 401 `passkey_invalid` for any other refusal, 403 as login for the account's state. */
  async verify(response: AuthenticationCredentialDto, client: ClientInfo): Promise<TokenResponseDto> {
    const challenge = await this.ceremonies.spendLoginChallenge(response);
    const passkey = await this.passkeys.findByCredentialId(response.id);
    if (!passkey) return this.refuse(null, 'unknown_passkey', client);
    // The authenticator names the account it holds the credential for; it must be the passkey's owner.
    if (response.response.userHandle !== webAuthnUserHandle(passkey.userId)) {
      return this.refuse(passkey.userId, 'user_handle_mismatch', client, passkey.id);
    }
    const check = await this.ceremonies.verifyAssertion(response, challenge, passkey);
    if (!check.ok) return this.refuse(passkey.userId, check.reason, client, passkey.id);
    let user: User | undefined;
    try {
      const tokens = await this.dataSource.transaction(async (manager) => {
        const found = await this.users.lockById(manager, passkey.userId);
        if (!found) throw new Refusal('unknown_passkey', new ApiException('passkey_invalid', REFUSED));
        user = found;
        this.checkAccount(found);
        if (!(await this.passkeys.recordUse(manager, passkey.id, check.newCounter, check.backedUp))) {
          throw new Refusal('passkey_clone_suspected', new ApiException('passkey_invalid', REFUSED));
        }
        await spendOneTimeTokens(manager, found.id, 'reset_password');
        await this.audit.record(manager, {
          type: 'login_success',
          userId: found.id,
          client,
          detail: { method: 'passkey', passkeyId: passkey.id },
        });
        return this.sessions.start(manager, found, client, ['webauthn']);
      });
      this.metrics.countLogin('success');
      return tokens;
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      await this.recordFailure(user?.id ?? null, error.reason, client, passkey.id, user?.email ?? user?.username ?? undefined, {
        storedCounter: passkey.counter,
        counter: check.newCounter,
      });
      throw error.error;
    }
  }

  /** Refused like a password login: a disabled account, or an unverified one when verification is required. */
  private checkAccount(user: User): void {
    if (user.disabledAt) {
      this.metrics.countLogin('disabled');
      throw new Refusal('account_disabled', new ApiException('account_disabled', 'This account is disabled'));
    }
    if (this.config.requireEmailVerification && !user.emailVerifiedAt) {
      this.metrics.countLogin('unverified');
      throw new Refusal(
        'email_not_verified',
        new ApiException(
          'email_not_verified',
          'Verify your email address before logging in: follow the link in the mail we sent you',
        ),
      );
    }
  }

  private async refuse(userId: string | null, reason: string, client: ClientInfo, passkeyId?: string): Promise<never> {
    await this.recordFailure(userId, reason, client, passkeyId);
    throw new ApiException('passkey_invalid', REFUSED);
  }

  private recordFailure(
    userId: string | null,
    reason: string,
    client: ClientInfo,
    passkeyId?: string,
    identifier?: string,
    counters?: { storedCounter: number; counter: number },
  ): Promise<void> {
    const detail = {
      method: 'passkey',
      reason,
      ...(passkeyId && { passkeyId }),
      // A counter that went back is the sign of a cloned authenticator: the log says so, with both counters.
      ...(reason === 'passkey_clone_suspected' && counters),
    };
    return this.audit.record(this.dataSource.manager, { type: 'login_failure', userId, client, identifier, detail });
  }
}
