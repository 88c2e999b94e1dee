import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { mfaConfig, type MfaConfig } from '../config/mfa.config.js';
import { MfaNotices } from './mfa-notices.js';
import { CODE_REPLAYED, CODE_WRONG, MfaService, type CodeMethod } from './mfa.service.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { TotpFactorsService } from './totp-factors.service.js';
import { newTotpSecret, otpauthUrl } from './totp.js';
import { accountLabel } from '../common/request/account-label.js';

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
  qrCode: string;
}

const ALREADY_ENABLED = 'Two-step verification is already on: turn it off first to use another app';
const NOT_ENABLED = 'Two-step verification is not on for this account';
/** A setup not confirmed within this long must start again (with a new secret). */
const PENDING_SETUP_TTL_MS = 10 * 60_000;

/** The caller turns their authenticator app on and off, and renews their recovery codes. */
@Injectable()
export class TotpEnrolmentService {
  constructor(
    private readonly reauthentication: ReauthenticationService,
    private readonly totp: TotpFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly mfa: MfaService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
    private readonly notices: MfaNotices,
    @Inject(mfaConfig.KEY) private readonly config: MfaConfig,
  ) {}

  /** A new secret, pending until confirmed with a code (nothing changes at login before that); a new setup replaces it. */
  async setup(auth: AuthUser, password: string): Promise<TotpSetup> {
    await this.refuseIfEnabled(auth.user.id);
    const secret = newTotpSecret();
    const email = await this.reauthentication.run(auth, password, async (manager, user) => {
      if (await this.totp.isConfirmed(manager, user.id)) throw new ApiException('mfa_already_enabled', ALREADY_ENABLED);
      await this.totp.savePending(manager, user.id, secret);
      return accountLabel(user);
    });
    const url = otpauthUrl(this.config.issuer, email, secret);
    const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUrl: url, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /**
   * A code from the app turns it on: the recovery codes are made, the caller's session counts as
   * proven with it (`otp` joins its amr), and every other session ends.
   */
  async confirm(auth: AuthUser, code: string, client: ClientInfo): Promise<string[]> {
    const { email, codes } = await this.reauthentication.counted(auth, async (manager, user) => {
      const factor = await this.totp.find(manager, user.id, true);
      if (factor?.confirmedAt) throw new ApiException('mfa_already_enabled', ALREADY_ENABLED);
      if (!factor) throw new ApiException('mfa_not_enabled', 'Set up the authenticator app first, then confirm it with a code');
      if (factor.createdAt.getTime() < Date.now() - PENDING_SETUP_TTL_MS)
        throw new ApiException('mfa_not_enabled', 'This setup has expired: set up the authenticator app again');
      if ((await this.totp.confirm(manager, factor, code)) === null)
        throw new ApiException(
          'mfa_code_incorrect',
          'That code is not right: check the time on your device and try the current code',
        );
      const codes = await this.recoveryCodes.replace(manager, user.id);
      await this.sessions.addMethod(manager, auth.sessionId, 'otp');
      const ended = await this.sessions.endAll(manager, user.id, 'mfa_enabled', auth.sessionId);
      await this.audit.record(manager, { type: 'totp_enabled', userId: user.id, client, detail: { sessionsEnded: ended } });
      return { email: user.email, codes };
    });
    this.notices.totpEnabled(email, client);
    return codes;
  }

  /** The password and a code (from the app, or a recovery code) turn it off; the recovery codes go with it. */
  async disable(auth: AuthUser, password: string, code: string, client: ClientInfo): Promise<void> {
    await this.refuseUnlessEnabled(auth.user.id);
    const email = await this.reauthentication.run(auth, password, async (manager, user) => {
      const method = await this.requireCode(manager, user.id, code);
      await this.mfa.clear(manager, user.id);
      // Sessions signed in with a code no longer count as proven with a second factor the account lacks.
      await this.sessions.dropMethod(manager, user.id, 'otp');
      await this.audit.record(manager, { type: 'totp_disabled', userId: user.id, client, detail: { with: method } });
      return user.email;
    });
    this.notices.totpDisabled(email, client);
  }

  /** The password and a code make new recovery codes; the old ones stop working. */
  async regenerateRecoveryCodes(auth: AuthUser, password: string, code: string, client: ClientInfo): Promise<string[]> {
    await this.refuseUnlessEnabled(auth.user.id);
    const { email, codes } = await this.reauthentication.run(auth, password, async (manager, user) => {
      const method = await this.requireCode(manager, user.id, code);
      const codes = await this.recoveryCodes.replace(manager, user.id);
      await this.audit.record(manager, { type: 'recovery_codes_regenerated', userId: user.id, client, detail: { with: method } });
      return { email: user.email, codes };
    });
    this.notices.recoveryCodesRegenerated(email, client);
    return codes;
  }

  /** Checked in the transaction too; this early look spares the lockout a refusal that guesses nothing. */
  private async refuseIfEnabled(userId: string): Promise<void> {
    if (await this.mfa.isEnabled(userId)) throw new ApiException('mfa_already_enabled', ALREADY_ENABLED);
  }

  private async refuseUnlessEnabled(userId: string): Promise<void> {
    if (!(await this.mfa.isEnabled(userId))) throw new ApiException('mfa_not_enabled', NOT_ENABLED);
  }

  private async requireCode(manager: EntityManager, userId: string, code: string): Promise<CodeMethod> {
    if (!(await this.mfa.isEnabled(userId, manager))) throw new ApiException('mfa_not_enabled', NOT_ENABLED);
    const { method, replayed } = await this.mfa.checkCode(manager, userId, code);
    if (!method) throw new ApiException('mfa_code_incorrect', replayed ? CODE_REPLAYED : CODE_WRONG);
    return method;
  }
}
