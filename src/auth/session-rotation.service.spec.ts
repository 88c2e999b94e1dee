import { JwtService } from '@nestjs/jwt';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, valueOf } from '../../test/support/metrics.js';
import { startMigratedDatabase, type MigratedDatabase } from '../../test/support/migrated-database.js';
import { AuditService } from '../audit/audit.service.js';
import { DatabaseNotifications } from '../common/database/notifications.js';
import { PooledStatements } from '../common/database/pooled-statements.js';
import { ApiException, errorCodeOf } from '../common/errors/api.exception.js';
import type { ErrorCode } from '../common/errors/error-codes.js';
import type { ClientInfo } from '../common/request/client-info.js';
import type { AuthConfig } from '../config/auth.config.js';
import { MetricsService, REFRESH_OUTCOMES, type RefreshOutcome } from '../metrics/metrics.service.js';
import { User } from '../users/entities/user.entity.js';
import { UserEvents } from '../users/user-events.js';
import { UsersService } from '../users/users.service.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { IdentityCache } from './identity-cache.js';
import { SessionRotationService } from './session-rotation.service.js';
import { SessionRepository } from './session.repository.js';
import { SessionsService } from './sessions.service.js';
import { TokensService } from './tokens.service.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';

const MASTER_SECRET = randomBytes(48);
const ACCESS_TTL = 900;
const CLIENT: ClientInfo = { userAgent: 'vitest', ip: '127.0.0.1' };

function authConfigWith(reuseWindow: number): AuthConfig {
  return {
    jwt: { masterSecret: MASTER_SECRET, algorithm: 'ES256', accessTtl: ACCESS_TTL, jwksMaxAge: 300 },
    refresh: { idleTtl: 86_400, maxTtl: 7 * 86_400, reuseWindow },
    identityCacheTtl: 5,
  } as AuthConfig;
}

interface SessionRow {
  generation: number;
  refresh_token_hash: string;
  ended: boolean;
  revoked_reason: string | null;
}

/** A token pair as the service answers it outside cookie mode: always with its refresh token. */
interface Pair {
  accessToken: string;
  refreshToken: string;
}

/** A user who has just logged in: the session's first pair, and the session as the database names it. */
interface Login {
  userId: string;
  sessionId: string;
  first: Pair;
}

function pairOf({ accessToken, refreshToken }: TokenResponseDto): Pair {
  if (refreshToken === undefined) throw new Error('the service answered no refresh token');
  return { accessToken, refreshToken };
}

/** The code a refresh was refused with, or 'answered' when it was not refused. */
function refusalOf(answer: Promise<unknown>): Promise<ErrorCode | 'answered'> {
  return answer.then(
    () => 'answered' as const,
    (error: unknown) => {
      if (error instanceof ApiException) return errorCodeOf(error);
      throw error;
    },
  );
}

describe(SessionRotationService.name, () => {
  let database: MigratedDatabase;
  let dataSource: DataSource;
  let jwt: JwtService;
  let tokens: TokensService;
  let keys: SigningKeysService;
  let sessions: SessionsService;
  /** As configured by default: a 10 s reuse window. */
  let rotation: SessionRotationService;
  /** No reuse window: any second use of a spent token is reuse. */
  let strictRotation: SessionRotationService;
  let metrics: MetricsService;

  beforeAll(async () => {
    database = await startMigratedDatabase();
    dataSource = database.dataSource;
    const config = authConfigWith(10);
    jwt = new JwtService({ signOptions: { expiresIn: ACCESS_TTL } });
    const audit = new AuditService(dataSource);
    // Embedded, as the app builds it there: one instance, nothing to notify.
    const notifications = new DatabaseNotifications(dataSource, { shared: false });
    keys = new SigningKeysService(dataSource, config, audit, notifications);
    await keys.onModuleInit();
    tokens = new TokensService(jwt, keys, config);
    const repository = new SessionRepository(dataSource, new PooledStatements(dataSource, { prepare: false }));
    const events = new UserEvents();
    metrics = new MetricsService();
    const cache = new IdentityCache(config, dataSource, events, notifications, metrics);
    const users = new UsersService(dataSource.getRepository(User), dataSource, events);
    sessions = new SessionsService(dataSource, repository, tokens, cache, users, audit, config);
    rotation = new SessionRotationService(dataSource, repository, tokens, audit, cache, metrics, config);
    strictRotation = new SessionRotationService(dataSource, repository, tokens, audit, cache, metrics, authConfigWith(0));
  }, 60_000);

  afterAll(async () => {
    keys?.onApplicationShutdown();
    await database?.close();
  });

  async function login(): Promise<Login> {
    const [{ id: userId }] = await dataSource.query<Array<{ id: string }>>(
      "INSERT INTO users (email, password_hash) VALUES ($1, 'not-a-hash') RETURNING id",
      [`user-${randomUUID()}@example.com`],
    );
    const user = await dataSource.manager.findOneByOrFail(User, { id: userId });
    const first = pairOf(await sessions.start(dataSource.manager, user, CLIENT, ['pwd', 'otp']));
    const [{ id: sessionId }] = await dataSource.query<Array<{ id: string }>>('SELECT id FROM sessions WHERE user_id = $1', [
      userId,
    ]);
    return { userId, sessionId, first };
  }

  async function sessionRow(sessionId: string): Promise<SessionRow> {
    const [row] = await dataSource.query<SessionRow[]>(
      'SELECT generation, refresh_token_hash, revoked_at IS NOT NULL AS ended, revoked_reason FROM sessions WHERE id = $1',
      [sessionId],
    );
    return row;
  }

  function auditOf(userId: string): Promise<Array<{ type: string; detail: unknown }>> {
    return dataSource.query('SELECT type, detail FROM audit_events WHERE user_id = $1 ORDER BY created_at', [userId]);
  }

  it('should answer a new pair for the current refresh token, and refuse the token it spent', async () => {
    const { userId, sessionId, first } = await login();

    const next = pairOf(await strictRotation.refresh(first.refreshToken, CLIENT));

    expect(next.refreshToken).not.toBe(first.refreshToken);
    const header = JSON.parse(Buffer.from(next.accessToken.split('.')[0], 'base64url').toString()) as {
      kid: string;
      alg: string;
    };
    const publicKey = keys.verifier(header.kid, header.alg)!.export({ format: 'pem', type: 'spki' }) as string;
    // The rotated token keeps the login's methods.
    expect(jwt.verify<{ sid: string; sub: string }>(next.accessToken, { publicKey })).toMatchObject({
      sid: sessionId,
      sub: userId,
      amr: ['pwd', 'otp'],
    });
    await expect(sessionRow(sessionId)).resolves.toMatchObject({
      generation: 1,
      refresh_token_hash: tokens.hashToken(next.refreshToken),
      ended: false,
    });
    await expect(refusalOf(strictRotation.refresh(first.refreshToken, CLIENT))).resolves.toBe('refresh_token_reused');
  });

  it('should give racing refreshes of one token the very same pair, within the reuse window', async () => {
    const { sessionId, first } = await login();

    const [one, other] = (
      await Promise.all([rotation.refresh(first.refreshToken, CLIENT), rotation.refresh(first.refreshToken, CLIENT)])
    ).map(pairOf);

    expect(one.refreshToken).not.toBe(first.refreshToken);
    expect(other.refreshToken).toBe(one.refreshToken);
    // The same claims (an ECDSA signature differs each time it is made).
    expect(jwt.decode(other.accessToken)).toEqual(jwt.decode(one.accessToken));
    expect(jwt.decode(other.accessToken)).toMatchObject({ amr: ['pwd', 'otp'] });
    await expect(sessionRow(sessionId)).resolves.toMatchObject({
      generation: 1,
      refresh_token_hash: tokens.hashToken(one.refreshToken),
      ended: false,
    });
  });

  it('should end the session when a spent token comes back and there is no reuse window', async () => {
    const { userId, sessionId, first } = await login();
    const second = pairOf(await strictRotation.refresh(first.refreshToken, CLIENT));

    await expect(refusalOf(strictRotation.refresh(first.refreshToken, CLIENT))).resolves.toBe('refresh_token_reused');

    await expect(sessionRow(sessionId)).resolves.toMatchObject({ ended: true, revoked_reason: 'refresh_reuse' });
    await expect(auditOf(userId)).resolves.toEqual([{ type: 'refresh_reuse_detected', detail: { sessionId } }]);
    await expect(refusalOf(strictRotation.refresh(second.refreshToken, CLIENT))).resolves.toBe('refresh_token_invalid');
  });

  it('should treat a token spent two rotations ago as reuse, but one the session never issued as merely invalid', async () => {
    const { userId, sessionId, first } = await login();
    const second = pairOf(await strictRotation.refresh(first.refreshToken, CLIENT));
    await strictRotation.refresh(second.refreshToken, CLIENT);
    const forged = `${sessionId}.${randomBytes(32).toString('base64url')}`;
    expect(tokens.readRefreshToken(forged)?.sessionId).toBe(sessionId);

    await expect(refusalOf(strictRotation.refresh(forged, CLIENT))).resolves.toBe('refresh_token_invalid');
    await expect(sessionRow(sessionId)).resolves.toMatchObject({ generation: 2, ended: false });
    await expect(auditOf(userId)).resolves.toEqual([]);

    await expect(refusalOf(strictRotation.refresh(first.refreshToken, CLIENT))).resolves.toBe('refresh_token_reused');
    await expect(sessionRow(sessionId)).resolves.toMatchObject({ ended: true, revoked_reason: 'refresh_reuse' });
  });

  async function refreshCounts(): Promise<Record<RefreshOutcome, number | undefined>> {
    const samples = parseMetrics(await metrics.render());
    return Object.fromEntries(
      REFRESH_OUTCOMES.map((outcome) => [outcome, valueOf(samples, 'auth_refreshes_total', { outcome })]),
    ) as Record<RefreshOutcome, number | undefined>;
  }

  it('should count each refresh under its outcome', async () => {
    const { first } = await login();
    const before = await refreshCounts();

    const second = pairOf(await rotation.refresh(first.refreshToken, CLIENT));
    await rotation.refresh(first.refreshToken, CLIENT);
    await rotation.refresh(second.refreshToken, CLIENT);
    await refusalOf(rotation.refresh(first.refreshToken, CLIENT));
    await refusalOf(rotation.refresh('garbage', CLIENT));

    const after = await refreshCounts();
    expect({
      rotated: after.rotated! - before.rotated!,
      reuse_window: after.reuse_window! - before.reuse_window!,
      reuse_detected: after.reuse_detected! - before.reuse_detected!,
      invalid: after.invalid! - before.invalid!,
    }).toEqual({ rotated: 2, reuse_window: 1, reuse_detected: 1, invalid: 1 });
  });

  it('should refuse a malformed refresh token as invalid', async () => {
    await expect(refusalOf(rotation.refresh('garbage', CLIENT))).resolves.toBe('refresh_token_invalid');
  });

  it("should refuse to refresh a disabled user's session, and leave it as it was", async () => {
    const { userId, sessionId, first } = await login();
    await dataSource.query('UPDATE users SET disabled_at = now() WHERE id = $1', [userId]);

    await expect(refusalOf(rotation.refresh(first.refreshToken, CLIENT))).resolves.toBe('refresh_token_invalid');
    await expect(sessionRow(sessionId)).resolves.toMatchObject({
      generation: 0,
      refresh_token_hash: tokens.hashToken(first.refreshToken),
      ended: false,
    });
  });
});
