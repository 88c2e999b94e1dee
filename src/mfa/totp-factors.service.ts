import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { SealedBox } from '../common/crypto/sealed-box.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { TotpFactor } from './entities/totp-factor.entity.js';
import { matchTotp } from './totp.js';

/** What the sealed box holds: the secret and whose it is, so a sealed value copied to another row does not open there. */
interface SealedSecret {
  userId: string;
  secret: string;
}

/** Whether a code was accepted, or why not. */
export type TotpCheck = 'accepted' | 'wrong' | 'replayed';

/** The totp_factors table: the sealed secret of each user's authenticator app and the last step it was used at. */
@Injectable()
export class TotpFactorsService {
  private readonly box: SealedBox;

  constructor(@Inject(authConfig.KEY) config: AuthConfig) {
    this.box = new SealedBox(config.jwt.masterSecret, 'auth-service/totp-secret');
  }

  /** The user's factor, confirmed or pending; locked in the caller's transaction when `lock`. */
  find(manager: EntityManager, userId: string, lock = false): Promise<TotpFactor | null> {
    return manager.findOne(TotpFactor, { where: { userId }, ...(lock && { lock: { mode: 'pessimistic_write' as const } }) });
  }

  async isConfirmed(manager: EntityManager, userId: string): Promise<boolean> {
    return Boolean((await this.find(manager, userId))?.confirmedAt);
  }

  /** Stores a new pending secret in place of any pending one (the caller has checked none is confirmed). */
  async savePending(manager: EntityManager, userId: string, secret: string): Promise<void> {
    await manager.delete(TotpFactor, { userId });
    await manager.insert(TotpFactor, { userId, secretSealed: this.box.seal({ userId, secret } satisfies SealedSecret) });
  }

  /** Confirms the pending factor with a code from it: the step the code was of, or null for a wrong code. */
  async confirm(manager: EntityManager, factor: TotpFactor, code: string): Promise<number | null> {
    const step = matchTotp(this.secretOf(factor), code);
    if (step === null) return null;
    await manager.update(TotpFactor, { userId: factor.userId }, { confirmedAt: new Date(), lastUsedStep: String(step) });
    return step;
  }

  /**
   * Checks a code of the user's confirmed factor and takes its step, so the code (or any earlier one)
   * is refused from then on. The update is the check: of two requests with one code, on any
   * instances, only one changes the row.
   */
  async accept(manager: EntityManager, userId: string, code: string): Promise<TotpCheck> {
    const factor = await this.find(manager, userId);
    if (!factor?.confirmedAt) return 'wrong';
    const step = matchTotp(this.secretOf(factor), code);
    if (step === null) return 'wrong';
    const [, taken] = await manager.query<[unknown[], number]>(
      `UPDATE totp_factors SET last_used_step = $2
        WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $2)`,
      [userId, step],
    );
    return taken > 0 ? 'accepted' : 'replayed';
  }

  /** Deletes the user's factor, confirmed or pending; whether a confirmed one was there. */
  async remove(manager: EntityManager, userId: string): Promise<boolean> {
    const factor = await this.find(manager, userId, true);
    if (factor) await manager.delete(TotpFactor, { userId });
    return Boolean(factor?.confirmedAt);
  }

  /** The base32 secret. A value that does not open (another master secret) is a server fault, not a wrong code. */
  secretOf(factor: TotpFactor): string {
    const sealed = this.box.unseal<SealedSecret>(factor.secretSealed);
    if (!sealed || sealed.userId !== factor.userId) throw new Error('A TOTP secret does not open under this master secret');
    return sealed.secret;
  }
}
