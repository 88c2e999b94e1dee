import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import { RecoveryCode } from './entities/recovery-code.entity.js';
import { sha256Hex } from '../common/crypto/sha256.js';

export const RECOVERY_CODE_COUNT = 10;
/** No 0/o, 1/l/i: a code copied from paper is typed right. 31 letters, 10 of them: ~50 random bits a code. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 10;

/** Lower case, without the dash, spaces or anything else a person may add when typing it. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const hashOf = (code: string) => sha256Hex(normalizeRecoveryCode(code));

function newCode(): string {
  const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** The recovery codes table: single-use codes kept as SHA-256 hashes, each spent by one atomic update. */
@Injectable()
export class RecoveryCodesService {
  /** Replaces the user's codes with new ones (the old ones die), in the caller's transaction; the codes, shown once. */
  async replace(manager: EntityManager, userId: string): Promise<string[]> {
    await manager.delete(RecoveryCode, { userId });
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) codes.add(newCode());
    await manager.insert(
      RecoveryCode,
      [...codes].map((code) => ({ userId, codeHash: hashOf(code) })),
    );
    return [...codes];
  }

  /** Spends the code if it is one of the user's unused ones; two requests with one code: only one wins. */
  async spend(manager: EntityManager, userId: string, code: string): Promise<boolean> {
    if (normalizeRecoveryCode(code).length !== LENGTH) return false;
    const result = await manager.update(
      RecoveryCode,
      { userId, codeHash: hashOf(code), usedAt: IsNull() },
      { usedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  countLeft(manager: EntityManager, userId: string): Promise<number> {
    return manager.countBy(RecoveryCode, { userId, usedAt: IsNull() });
  }

  /** Deletes every code of the user; how many were unused. */
  async remove(manager: EntityManager, userId: string): Promise<number> {
    const left = await this.countLeft(manager, userId);
    await manager.delete(RecoveryCode, { userId });
    return left;
  }
}
