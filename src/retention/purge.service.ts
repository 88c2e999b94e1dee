import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { OneTimeTokensService } from '../auth/one-time-tokens.service.js';
import { SessionRepository } from '../auth/session.repository.js';
import type { Operator } from '../common/request/operator.js';
import { OAuthFlowsService } from '../identities/oauth-flows.service.js';
import { LoginChallengesService } from '../mfa/login-challenges.service.js';
import { WebAuthnChallengesService } from '../passkeys/webauthn-challenges.service.js';
import { retentionConfig, type RetentionConfig } from '../config/retention.config.js';

/** Rows deleted per table by one purge. */
export interface PurgeCounts {
  sessions: number;
  oneTimeTokens: number;
  loginChallenges: number;
  auditEvents: number;
}

export interface PurgeResult {
  /**
   * `done`: nothing due is left. `locked`: another instance held the purge lock, from the start (then
   * nothing was deleted here) or from between two batches (it carries on). `stopped`: this process
   * began shutting down; the next purge does the rest.
   */
  status: 'done' | 'locked' | 'stopped';
  deleted: PurgeCounts;
  durationMs: number;
}

/** One key for every instance on the database (advisory locks are per database). */
const PURGE_LOCK = `hashtext('auth-service:purge')`;

/** Spent and expired mail links (and login challenges) stay a day, so a late click is told "already used" or "expired", not "not valid". */
const ONE_TIME_TOKEN_RETENTION_MS = 86_400_000;

type Purge = (manager: EntityManager, cutoff: Date, limit: number) => Promise<number>;

/**
 * Deletes what is past its retention, in small batches: each batch is a transaction of its own that
 * first takes a transaction-level advisory lock, so batches of two instances never run at once. Not a
 * session-level lock held for the whole run: that needs one connection pinned for minutes (the only
 * one on embedded storage, which would stall every request) and does not survive a transaction-pooling
 * proxy such as PgBouncer, which hands the session to other clients between transactions.
 */
@Injectable()
export class PurgeService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private running?: Promise<PurgeResult>;
  private stopping = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionRepository,
    private readonly oneTimeTokens: OneTimeTokensService,
    private readonly loginChallenges: LoginChallengesService,
    private readonly oauthFlows: OAuthFlowsService,
    private readonly webAuthnChallenges: WebAuthnChallengesService,
    private readonly audit: AuditService,
    @Inject(retentionConfig.KEY) private readonly config: RetentionConfig,
  ) {}

  /** Purges now and logs one line with the counts; a call while this process is purging joins that purge. */
  purgeNow(): Promise<PurgeResult> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Purges now for an operator (the command line), and records it as a `retention_purge` audit event naming them. */
  async purgeNowFor(operator: Operator): Promise<PurgeResult> {
    const result = await this.purgeNow();
    await this.dataSource.transaction((manager) =>
      this.audit.record(manager, {
        type: 'retention_purge',
        userId: null,
        detail: { status: result.status, ...result.deleted, ...operator },
      }),
    );
    return result;
  }

  /** A purge under way stops after its current batch, before the database connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<PurgeResult> {
    const started = performance.now();
    const now = Date.now();
    const { sessionRetention, auditRetention, batchSize } = this.config;
    const before = (ms: number) => (ms > 0 ? new Date(now - ms) : null);
    const tables: Array<[keyof PurgeCounts, Date | null, Purge]> = [
      ['sessions', before(sessionRetention * 1000), (m, cutoff, limit) => this.sessions.purgeEndedBefore(m, cutoff, limit)],
      [
        'oneTimeTokens',
        before(ONE_TIME_TOKEN_RETENTION_MS),
        (m, cutoff, limit) => this.oneTimeTokens.purgeBefore(m, cutoff, limit),
      ],
      [
        'loginChallenges',
        before(ONE_TIME_TOKEN_RETENTION_MS),
        (m, cutoff, limit) => this.loginChallenges.purgeBefore(m, cutoff, limit),
      ],
      // Passkey challenges are one-time tokens too, counted with them; no use is left in one once spent or expired.
      ['oneTimeTokens', new Date(now), (m, cutoff, limit) => this.webAuthnChallenges.purgeBefore(m, cutoff, limit)],
      // Provider sign-ins too; ten minutes after they came back (their exchange code lives one).
      ['oneTimeTokens', before(600_000), (m, cutoff, limit) => this.oauthFlows.purgeBefore(m, cutoff, limit)],
      ['auditEvents', before(auditRetention * 1000), (m, cutoff, limit) => this.audit.purgeBefore(m, cutoff, limit)],
    ];
    const deleted: PurgeCounts = { sessions: 0, oneTimeTokens: 0, loginChallenges: 0, auditEvents: 0 };
    let status: PurgeResult['status'] = 'done';
    tables: for (const [table, cutoff, purge] of tables) {
      if (!cutoff) continue;
      for (;;) {
        if (this.stopping) {
          status = 'stopped';
          break tables;
        }
        const count = await this.batch((manager) => purge(manager, cutoff, batchSize));
        if (count === null) {
          status = 'locked';
          break tables;
        }
        deleted[table] += count;
        if (count < batchSize) break;
      }
    }
    const result: PurgeResult = { status, deleted, durationMs: Math.round(performance.now() - started) };
    this.logger.log(describe(result));
    return result;
  }

  /** One batch under the purge lock; null when another instance holds it. */
  private batch(work: (manager: EntityManager) => Promise<number>): Promise<number | null> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<[{ locked: boolean }]>(
        `SELECT pg_try_advisory_xact_lock(${PURGE_LOCK}) AS locked`,
      );
      return locked ? work(manager) : null;
    });
  }
}

function describe({ status, deleted, durationMs }: PurgeResult): string {
  const counts = `${deleted.sessions} sessions, ${deleted.oneTimeTokens} one-time tokens, ${deleted.loginChallenges} login challenges, ${deleted.auditEvents} audit events`;
  switch (status) {
    case 'done':
      return `Purge done in ${durationMs} ms: deleted ${counts}`;
    case 'locked':
      return `Purge left to another instance, which holds the purge lock (deleted here first: ${counts}; ${durationMs} ms)`;
    case 'stopped':
      return `Purge stopped for shutdown after ${durationMs} ms (deleted ${counts}); the next purge does the rest`;
  }
}
