import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { IdentityCache } from './identity-cache.js';
import { idleDeadline, SessionRepository } from './session.repository.js';
import { TokensService } from './tokens.service.js';

/** What a retry within the reuse window is handed again; `issuedAt` (ms, app clock) is the access token's iat. */
interface SealedSuccessor {
  refreshToken: string;
  issuedAt?: number;
}

/** `again`: the successor handed out before, to a retry within the reuse window. */
type Outcome = { kind: 'issued'; response: TokenResponseDto; again?: true } | { kind: 'invalid' } | { kind: 'reused' };

/**
 * The refresh rules: a refresh token is spent for the next pair, under the session's row lock so
 * concurrent calls see one successor. Within the reuse window the token just spent gets that same
 * successor again (tabs racing); any other spent token means a copy is in someone else's hands, and
 * the whole session ends. A token this session never issued is merely refused: knowing a session id
 * must not be enough to end it.
 */
@Injectable()
export class SessionRotationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionRepository,
    private readonly tokens: TokensService,
    private readonly audit: AuditService,
    private readonly cache: IdentityCache,
    private readonly metrics: MetricsService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenResponseDto> {
    const presented = this.tokens.readRefreshToken(refreshToken);
    const outcome: Outcome = presented
      ? ((await this.rotate(presented.sessionId, presented.hash, client)) ??
        (await this.dataSource.transaction((manager) => this.settle(manager, presented.sessionId, presented.hash, client))))
      : { kind: 'invalid' };
    switch (outcome.kind) {
      case 'issued':
        this.metrics.countRefresh(outcome.again ? 'reuse_window' : 'rotated');
        return outcome.response;
      case 'reused':
        this.metrics.countRefresh('reuse_detected');
        throw new ApiException('refresh_token_reused', 'Refresh token was already used; the session has been ended');
      case 'invalid':
        this.metrics.countRefresh('invalid');
        throw new ApiException('refresh_token_invalid', 'Invalid or expired refresh token');
    }
  }

  /**
   * The common case, one statement: the presented token is the current one. Undefined when it is not.
   * Without `manager` a statement of its own; with one, in the caller's transaction.
   */
  private async rotate(
    sessionId: string,
    hash: string,
    client: ClientInfo,
    manager?: EntityManager,
  ): Promise<Outcome | undefined> {
    const next = this.tokens.newRefreshToken(sessionId);
    const now = new Date();
    const successor: SealedSuccessor = { refreshToken: next.token, issuedAt: now.getTime() };
    const rotated = await this.sessions.rotate(
      {
        sessionId,
        presentedHash: hash,
        nextHash: next.hash,
        sealedSuccessor: this.config.refresh.reuseWindow > 0 ? this.tokens.seal(successor) : null,
        now,
        idleDeadline: idleDeadline(now, this.config.refresh.idleTtl),
        client,
      },
      manager,
    );
    if (!rotated) return undefined;
    // Signed at the sealed issue time, as a retry within the window will be: the same access token.
    const grant = { sessionId, refreshToken: next.token, generation: rotated.generation, issuedAt: now, amr: rotated.amr };
    return { kind: 'issued', response: this.tokens.issue(rotated.user, grant) };
  }

  /** Every other case, under the session's row lock (see the class comment). */
  private async settle(manager: EntityManager, sessionId: string, hash: string, client: ClientInfo): Promise<Outcome> {
    const now = new Date();
    const session = await this.sessions.lockLive(manager, sessionId, hash, now, this.config.refresh.reuseWindow);
    if (!session) return { kind: 'invalid' };

    // It became the current token meanwhile.
    if (this.tokens.sameHash(session.refreshTokenHash, hash)) {
      return (await this.rotate(sessionId, hash, client, manager)) ?? { kind: 'invalid' };
    }

    if (this.tokens.sameHash(session.previousTokenHash, hash) && session.inReuseWindow && session.rotatedAt) {
      const successor = this.tokens.unseal<SealedSuccessor>(session.successorSealed ?? '');
      if (successor) {
        // Sealed by an earlier version, which signed that pair at rotated_at.
        const issuedAt = successor.issuedAt === undefined ? session.rotatedAt : new Date(successor.issuedAt);
        const grant = {
          sessionId,
          refreshToken: successor.refreshToken,
          generation: session.generation,
          issuedAt,
          amr: session.amr,
        };
        return { kind: 'issued', response: this.tokens.issue(session.user, grant), again: true };
      }
    }

    if (!session.presentedSpent) return { kind: 'invalid' };
    await this.sessions.endForReuse(manager, sessionId, now);
    this.cache.forgetSession(manager, sessionId);
    await this.audit.record(manager, { type: 'refresh_reuse_detected', userId: session.user.id, client, detail: { sessionId } });
    return { kind: 'reused' };
  }
}
