import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { DataSource, type EntityManager } from 'typeorm';
import { sha256Hex } from '../common/crypto/sha256.js';
import { purgeSpentOrExpired } from '../common/database/purge-spent.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { OAuthFlow, OAuthFlowPurpose } from './entities/oauth-flow.entity.js';
import type { FlowChecks } from './provider-profile.js';

const FLOW_TTL_SECONDS = 600;
const EXCHANGE_TTL_SECONDS = 60;
const EXCHANGE_CODE = /^[A-Za-z0-9_-]{43}$/;
const CODE_INVALID = 'This code is unknown, already used, expired, or does not match the code verifier: sign in again';

export interface NewFlow {
  provider: string;
  purpose: OAuthFlowPurpose;
  userId: string | null;
  redirectTo: string;
  clientChallenge: string | null;
  /** The browser's binding cookie (kept hashed). */
  browser: string;
}

interface FlowRow {
  id: string;
  provider: string;
  purpose: OAuthFlowPurpose;
  user_id: string | null;
  nonce: string;
  code_verifier: string;
  redirect_to: string;
  client_challenge: string | null;
}

/** A flow taken at the callback: what `start` kept, and the state it was found by. */
export type TakenFlow = Pick<OAuthFlow, 'id' | 'provider' | 'purpose' | 'userId' | 'redirectTo' | 'clientChallenge'> & {
  checks: FlowChecks;
};

/**
 * The sign-ins under way at other providers, in the database so any instance finishes what another
 * started: a state (kept hashed) spent once within 10 minutes by one conditional UPDATE, then for a
 * client with a PKCE challenge a one-time code (hashed, 60 s, once) exchanged with its verifier.
 */
@Injectable()
export class OAuthFlowsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records the flow; answers the values to send to the provider. */
  async start(flow: NewFlow): Promise<FlowChecks> {
    const checks = { state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
    await this.dataSource.query(
      `INSERT INTO oauth_flows (state_hash, provider, purpose, user_id, nonce, code_verifier, redirect_to, client_challenge,
         browser_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))`,
      [
        sha256Hex(checks.state),
        flow.provider,
        flow.purpose,
        flow.userId,
        checks.nonce,
        checks.codeVerifier,
        flow.redirectTo,
        flow.clientChallenge,
        sha256Hex(flow.browser),
        FLOW_TTL_SECONDS,
      ],
    );
    return checks;
  }

  /**
   * Spends the state of a callback: null when it is unknown (forged), spent (a replayed callback),
   * expired, belongs to another provider's flow, or comes back in another browser than the one that
   * started it (`browser`, its binding cookie). Such a callback spends nothing.
   */
  async take(provider: string, state: string | undefined, browser: string | undefined): Promise<TakenFlow | null> {
    if (!state || state.length > 256 || !browser) return null;
    const [rows] = await this.dataSource.query<[FlowRow[], number]>(
      `UPDATE oauth_flows SET used_at = now()
       WHERE state_hash = $1 AND provider = $2 AND browser_hash = $3 AND used_at IS NULL AND expires_at > now()
       RETURNING id, provider, purpose, user_id, nonce, code_verifier, redirect_to, client_challenge`,
      [sha256Hex(state), provider, sha256Hex(browser)],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      provider: row.provider,
      purpose: row.purpose,
      userId: row.user_id,
      redirectTo: row.redirect_to,
      clientChallenge: row.client_challenge,
      checks: { state, nonce: row.nonce, codeVerifier: row.code_verifier },
    };
  }

  /** The exchange flow: the account is signed in, the client gets a one-time code for it. */
  async issueExchangeCode(flowId: string, userId: string): Promise<string> {
    const code = randomBytes(32).toString('base64url');
    await this.dataSource.query(
      `UPDATE oauth_flows SET signed_in_user_id = $2, exchange_code_hash = $3,
         exchange_expires_at = now() + make_interval(secs => $4)
       WHERE id = $1`,
      [flowId, userId, sha256Hex(code), EXCHANGE_TTL_SECONDS],
    );
    return code;
  }

  /**
   * Spends a one-time code with the client's PKCE verifier; the user it signs in, and with which provider. 400
   * `oauth_code_invalid` for anything wrong: a wrong verifier spends the code too, so it cannot be
   * guessed at.
   */
  async exchange(code: string, codeVerifier: string): Promise<{ userId: string; provider: string }> {
    if (!EXCHANGE_CODE.test(code)) throw new ApiException('oauth_code_invalid', CODE_INVALID);
    type Row = { client_challenge: string | null; signed_in_user_id: string | null; provider: string };
    const [rows] = await this.dataSource.query<[Row[], number]>(
      `UPDATE oauth_flows SET exchanged_at = now()
       WHERE exchange_code_hash = $1 AND exchanged_at IS NULL AND exchange_expires_at > now()
       RETURNING client_challenge, signed_in_user_id, provider`,
      [sha256Hex(code)],
    );
    const row = rows[0];
    if (!row?.client_challenge || !row.signed_in_user_id || !matches(codeVerifier, row.client_challenge))
      throw new ApiException('oauth_code_invalid', CODE_INVALID);
    return { userId: row.signed_in_user_id, provider: row.provider };
  }

  /** Deletes up to `limit` flows expired or spent before `cutoff`, in the caller's transaction; how many. */
  purgeBefore(manager: EntityManager, cutoff: Date, limit: number): Promise<number> {
    return purgeSpentOrExpired(manager, 'oauth_flows', cutoff, limit);
  }
}

/** RFC 7636 S256: BASE64URL(SHA-256(verifier)) equals the challenge sent at the start. */
function matches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
