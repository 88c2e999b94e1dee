import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiException } from '../common/errors/api.exception.js';
import type { WebAuthnChallengePurpose } from './entities/webauthn-challenge.entity.js';
import { purgeSpentOrExpired } from '../common/database/purge-spent.js';
import { sha256Hex } from '../common/crypto/sha256.js';

/** How long a browser has to complete a ceremony. */
export const CHALLENGE_TTL_SECONDS = 300;

/** A challenge: 256 random bits, as the browser sends it back in clientDataJSON (base64url). */
export interface IssuedChallenge {
  bytes: Uint8Array<ArrayBuffer>;
  text: string;
}

const hashOf = (challenge: string) => sha256Hex(challenge);

/**
 * The challenges of passkey ceremonies, kept server-side as hashes. Spending is one conditional
 * UPDATE, so of two requests presenting the same challenge, on any instance, exactly one gets it.
 */
@Injectable()
export class WebAuthnChallengesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async issue(purpose: WebAuthnChallengePurpose, userId: string | null): Promise<IssuedChallenge> {
    const bytes = new Uint8Array(randomBytes(32));
    const text = Buffer.from(bytes).toString('base64url');
    // The database's clock both sets and checks the expiry, so instances with skewed clocks agree.
    await this.dataSource.query(
      `INSERT INTO webauthn_challenges (challenge_hash, purpose, user_id, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [hashOf(text), purpose, userId, CHALLENGE_TTL_SECONDS],
    );
    return { bytes, text };
  }

  /**
   * Spends the challenge the response signed: 400 when it is unknown, spent, expired, or was issued
   * for another ceremony or another user. Spent before the response is checked, so a failed attempt
   * uses it up too.
   */
  async spend(clientDataJSON: string, purpose: WebAuthnChallengePurpose, userId: string | null): Promise<string> {
    const challenge = challengeIn(clientDataJSON);
    const [, spent] = challenge
      ? await this.dataSource.query<[unknown[], number]>(
          `UPDATE webauthn_challenges SET used_at = now()
           WHERE challenge_hash = $1 AND purpose = $2 AND user_id IS NOT DISTINCT FROM $3
             AND used_at IS NULL AND expires_at > now()
           RETURNING id`,
          [hashOf(challenge), purpose, userId],
        )
      : [[], 0];
    if (!challenge || spent === 0) {
      throw new ApiException(
        'webauthn_challenge_invalid',
        'This passkey request is unknown, already used or expired: start again',
      );
    }
    return challenge;
  }

  /** Deletes up to `limit` challenges expired or spent before `cutoff`, in the caller's transaction; how many. */
  purgeBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return purgeSpentOrExpired(manager, 'webauthn_challenges', cutoff, limit);
  }
}

/** The challenge a response's clientDataJSON (base64url JSON) carries, if it can be read. */
function challengeIn(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}
