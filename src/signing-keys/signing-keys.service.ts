import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { SealedBox } from '../common/crypto/sealed-box.js';
import { DatabaseNotifications } from '../common/database/notifications.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { authConfig, MAX_ACCESS_TTL_SECONDS, type AuthConfig, type SigningAlgorithm } from '../config/auth.config.js';
import { SigningKey, type SigningKeySource } from './entities/signing-key.entity.js';
import { dueRotation, liveKeysAt, nextKeyAt, signingKeyAt } from './key-schedule.js';
import { generateKey, importPemKey, signingKeyObject, verifyingKeyObject, type KeyMaterial } from './key-material.js';

/** Seconds of clock difference tolerated on exp, nbf and iat, here and in the JWT strategy. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** One key made at a time, across every instance and the command line. */
const KEYS_LOCK = "hashtext('auth-service:signing-keys')";
/** A token naming a key this instance does not know re-reads the keys at most this often. */
const RELOAD_ON_MISS_MS = 1000;
/** The longest an instance goes without re-reading the keys. */
const MAX_RELOAD_INTERVAL_MS = 60_000;
/** Every change of the keys is announced here, so every instance re-reads them at once. */
const CHANNEL = 'auth_signing_keys';
/**
 * How long a replaced key keeps verifying: the longest access-token lifetime allowed, whatever
 * JWT_ACCESS_TTL is now, so lowering it (or instances that disagree on it) never cuts tokens already out.
 */
const RETIRED_KEY_GRACE_SECONDS = MAX_ACCESS_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS;

/** A key as this instance holds it: its row, and the key objects once it was needed. */
interface LoadedKey {
  kid: string;
  algorithm: SigningAlgorithm;
  source: SigningKeySource;
  createdAt: Date;
  signsFrom: Date;
  revokedAt: Date | null;
  publicJwk: JsonWebKey | null;
  privateKeySealed: string;
}

interface KeyObjects {
  verifyKey: KeyObject | null;
  /** Null when the master secret does not open it (it was sealed under another JWT_SECRET). */
  signKey: KeyObject | null;
}

export type KeyState = 'next' | 'signing' | 'retiring';

/** What an operator sees of a key. */
export interface KeyView {
  kid: string;
  algorithm: SigningAlgorithm;
  source: SigningKeySource;
  state: KeyState;
  published: boolean;
  createdAt: Date;
  signsFrom: Date;
}

/**
 * Provide `true` under this token in a process that only manages the keys (the keys command): it
 * makes a first key when there is none, but keeps no schedule and never acts on its own
 * JWT_ALGORITHM, which may not be the deployment's.
 */
export const KEYS_COMMAND = Symbol('KEYS_COMMAND');

/** Who asked for a key change, for the audit log. */
export interface KeyChangeActor {
  userId: string | null;
  client?: ClientInfo;
  channel: 'api' | 'cli' | 'schedule' | 'start';
  /** On the command line: the OS user who ran it. */
  operator?: string;
}

/**
 * The keys that sign and verify access tokens, kept in the database so every instance signs with the
 * same current key. Keys are announced (published in the JWKS) JWKS_MAX_AGE before they sign, and a
 * replaced key stays published until the last token it signed has expired. Each instance re-reads the
 * table when another announces a change (Postgres NOTIFY, on commit), regularly, and when a token
 * names a key it does not know.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SigningKeysService.name);
  private readonly box: SealedBox;
  private readonly jwt: AuthConfig['jwt'];
  /** Every key row, revoked ones included: a revoked key that signed still ended its predecessor's turn. */
  private keys: LoadedKey[] = [];
  /** Key objects by kid, built when first needed (a kid's key never changes). */
  private readonly objects = new Map<string, KeyObjects>();
  /** The live keys, worked out at most once a second and on every re-read. */
  private liveMemo: { second: number; keys: LoadedKey[] } | undefined;
  private lastReload = 0;
  /** Reads of the keys started, and the number of the one whose result is kept. */
  private reads = 0;
  private applied = 0;
  /** Keys another instance announced revoked: never trusted here again. */
  private readonly distrusted = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(authConfig.KEY) config: AuthConfig,
    private readonly audit: AuditService,
    private readonly notifications: DatabaseNotifications,
    @Optional() @Inject(KEYS_COMMAND) private readonly command: boolean = false,
  ) {
    this.jwt = config.jwt;
    this.box = new SealedBox(config.jwt.masterSecret, 'auth-service/signing-keys');
    // A change elsewhere, or notifications possibly missed: read the keys again. When that fails the
    // database is out (the health status logs that once); the listener's reset on reconnecting, or
    // the next tick, reads them again.
    const reread = () =>
      void this.reload().catch((error: unknown) =>
        this.logger.debug(`Could not re-read the signing keys: ${(error as Error).message}`),
      );
    notifications.listen(CHANNEL, {
      message: (payload) => {
        // Distrusted at once, before the re-read answers: the next request must not take it.
        if (payload.startsWith('revoked:')) this.revokedElsewhere(payload.slice('revoked:'.length));
        reread();
      },
      reset: reread,
    });
  }

  async onModuleInit(): Promise<void> {
    if (this.command) {
      await this.reload();
      if (this.keys.some((key) => !key.revokedAt)) return;
    }
    await this.ensure({ userId: null, channel: this.command ? 'cli' : 'start' });
    if (this.command) return;
    const interval = Math.min(MAX_RELOAD_INTERVAL_MS, (this.jwt.jwksMaxAge * 1000) / 2);
    this.timer = setInterval(() => void this.tick(), interval);
    this.timer.unref();
  }

  /**
   * For the service's start: fails unless this JWT_SECRET opens the signing key. (The keys command
   * skips it: revoking such a key is how an operator recovers from a lost secret.)
   */
  assertCanSign(): void {
    const now = new Date();
    const current = this.current();
    const next = nextKeyAt(this.keys, now);
    for (const key of [current, ...(next ? [next] : [])]) {
      if (this.canOpen(key.kid)) continue;
      const which = key === current ? 'the current signing key' : 'the next signing key';
      throw new Error(
        `JWT_SECRET does not open ${which} ${key.kid}: it was sealed under another secret. ` +
          'Start with the JWT_SECRET it was made with, or replace the key: npm run keys -- revoke ' +
          `${key.kid} (see "Signing keys" in the README).`,
      );
    }
  }

  /** Whether this JWT_SECRET opens the key's private half. */
  canOpen(kid: string): boolean {
    const key = this.keys.find((candidate) => candidate.kid === kid);
    return key !== undefined && this.objectsOf(key).signKey !== null;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The key to sign with now. */
  signer(): { kid: string; algorithm: SigningAlgorithm; key: KeyObject } {
    const current = this.current();
    const { signKey } = this.objectsOf(current);
    if (!signKey) throw new Error(`the signing key ${current.kid} cannot be opened with this JWT_SECRET`);
    return { kid: current.kid, algorithm: current.algorithm, key: signKey };
  }

  /** The key that verifies a token naming `kid` and `algorithm`; undefined unless it is a live key of that very algorithm. */
  verifier(kid: string, algorithm: string): KeyObject | undefined {
    const key = this.live().find((candidate) => candidate.kid === kid);
    return key && key.algorithm === algorithm ? (this.objectsOf(key).verifyKey ?? undefined) : undefined;
  }

  /** As `verifier`, re-reading the keys first (at most once a second) when `kid` is unknown here: another instance may have made it. */
  async verifierReloading(kid: string, algorithm: string): Promise<KeyObject | undefined> {
    const known = this.verifier(kid, algorithm);
    if (known || Date.now() - this.lastReload < RELOAD_ON_MISS_MS) return known;
    await this.reload();
    return this.verifier(kid, algorithm);
  }

  /** Whether tokens signed with `kid` are still accepted (it is live and not revoked). */
  trusts(kid: string): boolean {
    return this.live().some((key) => key.kid === kid);
  }

  /** The public keys of the live asymmetric keys, as a JWK Set (never a private part, never an HMAC key). */
  publicKeys(): JsonWebKey[] {
    return this.live()
      .filter((key) => key.publicJwk !== null)
      .map((key) => ({ ...publicMembers(key.publicJwk!), kid: key.kid, alg: key.algorithm, use: 'sig' }));
  }

  /** Every key in use, newest first. */
  list(): KeyView[] {
    const now = new Date();
    const current = signingKeyAt(this.keys, now);
    return this.live(now)
      .map((key) => ({
        kid: key.kid,
        algorithm: key.algorithm,
        source: key.source,
        state: key === current ? ('signing' as const) : key.signsFrom > now ? ('next' as const) : ('retiring' as const),
        published: key.publicJwk !== null,
        createdAt: key.createdAt,
        signsFrom: key.signsFrom,
      }))
      .sort((a, b) => b.signsFrom.getTime() - a.signsFrom.getTime());
  }

  /**
   * Makes the next key (or imports `pem`): announced now, signing JWKS_MAX_AGE from now, or at once
   * with `immediately` (verifiers that cached the JWKS fetch it again on the unknown `kid`). Nobody
   * is logged out: the replaced key keeps verifying its tokens until they expire. Replaces a next
   * key that was already announced but has not signed yet.
   */
  async rotate(
    actor: KeyChangeActor,
    options: { immediately?: boolean; pem?: string; algorithm?: SigningAlgorithm } = {},
  ): Promise<KeyView> {
    let material: KeyMaterial;
    try {
      material = options.pem ? importPemKey(options.pem) : generateKey(options.algorithm ?? this.jwt.algorithm);
    } catch (error) {
      throw new ApiException('signing_key_invalid', (error as Error).message);
    }
    await this.dataSource.transaction(async (manager) => {
      await lock(manager);
      const now = new Date();
      const rows = await loadRows(manager);
      const current = signingKeyAt(rows, now);
      const pending = rows.filter((row) => !row.revokedAt && row.signsFrom > now && row !== current).map((row) => row.kid);
      if (pending.length > 0) {
        await manager.query('UPDATE signing_keys SET revoked_at = $2 WHERE kid = ANY($1)', [pending, now]);
        for (const kid of pending) this.notifications.notify(manager, CHANNEL, `revoked:${kid}`);
      }
      for (const kid of pending) await this.audit.record(manager, revokedEvent(kid, actor, 'replaced before it signed'));
      const signsFrom = options.immediately ? now : new Date(now.getTime() + this.jwt.jwksMaxAge * 1000);
      await this.insert(manager, material, signsFrom, options.pem ? 'imported' : 'generated', actor);
    });
    await this.reload();
    return this.list().find((key) => key.kid === material.kid)!;
  }

  /**
   * Emergency: the key is never used again, and every token it signed is refused from now on (on
   * other instances as soon as they re-read the keys). When it was the signing key, a new key signs
   * at once, so logins and refreshes go on.
   */
  async revoke(kid: string, actor: KeyChangeActor): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await lock(manager);
      const now = new Date();
      const signing = signingKeyAt(await loadRows(manager), now);
      const wasSigning = signing?.kid === kid;
      const [, revoked]: [unknown, number] = await manager.query(
        'UPDATE signing_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL',
        [kid, now],
      );
      if (revoked === 0) throw new ApiException('not_found', 'No such signing key');
      this.notifications.notify(manager, CHANNEL, `revoked:${kid}`);
      await this.audit.record(manager, revokedEvent(kid, actor, 'revoked'));
      // A fresh key, never an older one brought back: it may have left the verifiers' caches long ago.
      if (wasSigning) await this.insert(manager, generateKey(signing.algorithm), now, 'generated', actor);
    });
    await this.reload();
  }

  /** A key another instance revoked: never trusted again here, even before the keys are re-read. */
  private revokedElsewhere(kid: string): void {
    this.distrusted.add(kid);
    this.keys = this.keys.map((key) => (key.kid === kid && !key.revokedAt ? { ...key, revokedAt: new Date() } : key));
    this.liveMemo = undefined;
  }

  /**
   * Re-reads the keys from the database. Of reads that overlap, only the latest started is kept, and
   * a key announced revoked stays so even in a read that began before the revocation committed.
   */
  async reload(): Promise<void> {
    this.lastReload = Date.now();
    const read = ++this.reads;
    const rows = await loadRows(this.dataSource.manager);
    if (read < this.applied) return;
    this.applied = read;
    this.keys = rows.map((row) => (this.distrusted.has(row.kid) && !row.revokedAt ? { ...row, revokedAt: new Date() } : row));
    this.liveMemo = undefined;
  }

  /** Makes the first key, or the next one when a rotation is due; one instance at a time. */
  private async ensure(actor: KeyChangeActor): Promise<void> {
    const options = { algorithm: this.jwt.algorithm, rotationSeconds: this.jwt.keyRotation, leadSeconds: this.jwt.jwksMaxAge };
    if (this.keys.length > 0 && !dueRotation(this.keys, new Date(), options)) return;
    await this.dataSource.transaction(async (manager) => {
      await lock(manager);
      const now = new Date();
      const rows = await loadRows(manager);
      const due = dueRotation(rows, now, options);
      if (due) await this.insert(manager, generateKey(this.jwt.algorithm), due, 'generated', actor);
    });
    await this.reload();
  }

  private async tick(): Promise<void> {
    try {
      await this.reload();
      await this.ensure({ userId: null, channel: 'schedule' });
    } catch (error) {
      this.logger.debug(`Could not re-read the signing keys: ${(error as Error).message}`);
    }
  }

  private async insert(
    manager: EntityManager,
    material: KeyMaterial,
    signsFrom: Date,
    source: SigningKeySource,
    actor: KeyChangeActor,
  ): Promise<void> {
    await manager.query(
      'INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_sealed, source, signs_from) VALUES ($1, $2, $3, $4, $5, $6)',
      [
        material.kid,
        material.algorithm,
        material.publicJwk && JSON.stringify(material.publicJwk),
        this.box.seal(material.privateJwk),
        source,
        signsFrom,
      ],
    );
    this.notifications.notify(manager, CHANNEL, 'created');
    await this.audit.record(manager, {
      type: 'signing_key_created',
      userId: actor.userId,
      client: actor.client,
      detail: {
        kid: material.kid,
        algorithm: material.algorithm,
        source,
        signsFrom: signsFrom.toISOString(),
        channel: actor.channel,
        ...(actor.operator && { operator: actor.operator }),
      },
    });
    this.logger.log(`Signing key ${material.kid} (${material.algorithm}) created; it signs from ${signsFrom.toISOString()}`);
  }

  private objectsOf(key: LoadedKey): KeyObjects {
    let objects = this.objects.get(key.kid);
    if (!objects) {
      const privateJwk = this.box.unseal<JsonWebKey>(key.privateKeySealed);
      objects = {
        verifyKey: verifyingKeyObject(key.publicJwk, privateJwk),
        signKey: privateJwk ? signingKeyObject(privateJwk) : null,
      };
      this.objects.set(key.kid, objects);
    }
    return objects;
  }

  private current(): LoadedKey {
    const current = signingKeyAt(this.keys, new Date());
    if (!current) throw new Error('no signing key: the keys have not been loaded');
    return current;
  }

  /** The live keys at `now`; on the request path, worked out once a second. */
  private live(now = new Date()): LoadedKey[] {
    // Not listening: a change on another instance would go unheard, so re-read (at most once a second).
    if (!this.notifications.connected && Date.now() - this.lastReload >= RELOAD_ON_MISS_MS) {
      this.lastReload = Date.now();
      void this.reload().catch(() => undefined);
    }
    const second = Math.floor(now.getTime() / 1000);
    if (this.liveMemo?.second !== second) this.liveMemo = { second, keys: liveKeysAt(this.keys, now, RETIRED_KEY_GRACE_SECONDS) };
    return this.liveMemo.keys;
  }
}

async function lock(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(${KEYS_LOCK})`);
}

/** Every key row but those revoked before they ever signed (they played no part in the schedule). */
async function loadRows(manager: EntityManager): Promise<SigningKey[]> {
  const rows = await manager.getRepository(SigningKey).find({ order: { signsFrom: 'ASC' } });
  return rows.filter((row) => !row.revokedAt || row.revokedAt > row.signsFrom);
}

function revokedEvent(kid: string, actor: KeyChangeActor, reason: string) {
  return {
    type: 'signing_key_revoked' as const,
    userId: actor.userId,
    client: actor.client,
    detail: { kid, reason, channel: actor.channel, ...(actor.operator && { operator: actor.operator }) },
  };
}

/** Only the members that describe a public key, whatever else the stored JWK holds. */
function publicMembers(jwk: JsonWebKey): JsonWebKey {
  return jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, n: jwk.n, e: jwk.e };
}
