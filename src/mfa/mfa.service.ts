import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { LoginChallenge } from './entities/login-challenge.entity.js';
import { RecoveryCodesService } from './recovery-codes.service.js';
import { TotpFactorsService, type TotpCheck } from './totp-factors.service.js';

/** A second-factor code as it was accepted: from the authenticator app, or one of the recovery codes. */
export type CodeMethod = 'totp' | 'recovery_code';

export interface CodeCheck {
  method: CodeMethod | null;
  /** The right code of a step already used: sent twice, or seen by someone else. */
  replayed: boolean;
}

export const CODE_WRONG = 'That code is not right';
export const CODE_REPLAYED = 'That code was already used: wait for the next one';

/** What clearing an account's second factors removed. */
export interface ClearedFactors {
  totp: boolean;
  recoveryCodes: number;
}

/** The account's second factors as a whole: whether one is on, a code of any of them, clearing them all. */
@Injectable()
export class MfaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly totp: TotpFactorsService,
    private readonly recoveryCodes: RecoveryCodesService,
  ) {}

  /** Whether the login must ask for a code. */
  isEnabled(userId: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    return this.totp.isConfirmed(manager, userId);
  }

  async status(userId: string): Promise<{ totp: boolean; recoveryCodesLeft: number }> {
    const manager = this.dataSource.manager;
    const [totp, recoveryCodesLeft] = await Promise.all([
      this.totp.isConfirmed(manager, userId),
      this.recoveryCodes.countLeft(manager, userId),
    ]);
    return { totp, recoveryCodesLeft };
  }

  /** Six digits are an authenticator app's code; anything else is tried as a recovery code (spent if right). */
  async checkCode(manager: EntityManager, userId: string, code: string): Promise<CodeCheck> {
    const digits = code.replace(/\s/g, '');
    if (/^\d{6}$/.test(digits)) {
      const check: TotpCheck = await this.totp.accept(manager, userId, digits);
      return { method: check === 'accepted' ? 'totp' : null, replayed: check === 'replayed' };
    }
    return { method: (await this.recoveryCodes.spend(manager, userId, code)) ? 'recovery_code' : null, replayed: false };
  }

  /**
   * Removes the account's authenticator app and recovery codes, and kills its pending login
   * challenges, in the caller's transaction (which holds the user row). For an admin's clear.
   */
  async clear(manager: EntityManager, userId: string): Promise<ClearedFactors> {
    const totp = await this.totp.remove(manager, userId);
    const recoveryCodes = await this.recoveryCodes.remove(manager, userId);
    await manager.update(LoginChallenge, { userId, usedAt: IsNull() }, { usedAt: new Date() });
    return { totp, recoveryCodes };
  }
}
