import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { EntityManager, In, IsNull } from 'typeorm';
import { ApiException } from '../common/errors/api.exception.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { OneTimeToken, type OneTimeTokenPurpose } from './entities/one-time-token.entity.js';
import { TokensService } from './tokens.service.js';
import { purgeSpentOrExpired } from '../common/database/purge-spent.js';

/** 256 random bits, base64url. */
const ONE_TIME_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Spends the user's outstanding tokens of these purposes inside the caller's transaction, which must
 * already hold the user's row lock: every flow locks the user row before any token row, so flows
 * cannot deadlock, and an issuing transaction (which holds that lock too) has committed before this
 * UPDATE looks. A plain function, so the use cases that spend links inside their own transaction
 * (login, logout everywhere, account/ and admin/) need no service for it.
 */
export async function spendOneTimeTokens(
  manager: EntityManager,
  userId: string,
  ...purposes: OneTimeTokenPurpose[]
): Promise<void> {
  await manager.update(OneTimeToken, { userId, purpose: In(purposes), usedAt: IsNull() }, { usedAt: new Date() });
}

/**
 * Mailed single-use tokens. Each lives only as a hash, expires, is spent by its first use, and is
 * spent as well when a newer token of the same purpose is issued.
 */
@Injectable()
export class OneTimeTokensService {
  constructor(
    private readonly tokens: TokensService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  async issue(
    manager: EntityManager,
    user: { id: string; email: string | null },
    purpose: OneTimeTokenPurpose,
    newEmail: string | null = null,
  ): Promise<string> {
    await spendOneTimeTokens(manager, user.id, purpose);
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    await manager.insert(OneTimeToken, {
      userId: user.id,
      purpose,
      tokenHash: this.tokens.hashToken(token),
      email: user.email,
      newEmail,
      expiresAt: new Date(now + this.config.oneTimeTokenTtl[purpose] * 1000),
    });
    return token;
  }

  /** Checks and spends a token inside the caller's transaction (its row locked); a 400 says what is wrong with it. */
  async consume(manager: EntityManager, token: string, purpose: OneTimeTokenPurpose): Promise<OneTimeToken> {
    const found = this.usable(await this.find(manager, token, { mode: 'pessimistic_write' }), purpose);
    await manager.update(OneTimeToken, found.id, { usedAt: new Date() });
    return found;
  }

  /** Deletes up to `limit` tokens expired or spent before `cutoff`, in the caller's transaction; how many. */
  purgeBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return purgeSpentOrExpired(manager, 'one_time_tokens', cutoff, limit);
  }

  /** Checks a token without spending it (a look before slow work; `consume` checks again). */
  async check(manager: EntityManager, token: string, purpose: OneTimeTokenPurpose): Promise<OneTimeToken> {
    return this.usable(await this.find(manager, token), purpose);
  }

  private async find(manager: EntityManager, token: string, lock?: { mode: 'pessimistic_write' }): Promise<OneTimeToken | null> {
    if (!ONE_TIME_TOKEN.test(token)) return null;
    return manager.findOne(OneTimeToken, { where: { tokenHash: this.tokens.hashToken(token) }, ...(lock && { lock }) });
  }

  private usable(found: OneTimeToken | null, purpose: OneTimeTokenPurpose): OneTimeToken {
    if (!found) throw new ApiException('one_time_token_invalid', 'This token is not valid');
    if (found.purpose !== purpose) throw new ApiException('one_time_token_invalid', 'This token is for another action');
    if (found.usedAt) throw new ApiException('one_time_token_invalid', 'This token has already been used');
    if (found.expiresAt.getTime() <= Date.now()) throw new ApiException('one_time_token_invalid', 'This token has expired');
    return found;
  }
}
