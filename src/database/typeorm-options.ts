import { MigrationExecutor, type DataSource, type DataSourceOptions, type Migration } from 'typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditEvent } from '../audit/entities/audit-event.entity.js';
import { OneTimeToken } from '../auth/entities/one-time-token.entity.js';
import { Session } from '../auth/entities/session.entity.js';
import { User } from '../users/entities/user.entity.js';
import type { PostgresConnection } from './embedded-postgres.js';
import { InitialSchema1763800000000 } from './migrations/1763800000000-InitialSchema.js';
import { AccountLifecycle1763900000000 } from './migrations/1763900000000-AccountLifecycle.js';
import { SessionLifetime1764000000000 } from './migrations/1764000000000-SessionLifetime.js';
import { SessionUserIndex1764100000000 } from './migrations/1764100000000-SessionUserIndex.js';
import { SpentTokenHashes1764200000000 } from './migrations/1764200000000-SpentTokenHashes.js';
import { SigningKeys1764300000000 } from './migrations/1764300000000-SigningKeys.js';
import { UsersListIndexes1764400000000 } from './migrations/1764400000000-UsersListIndexes.js';
import { RetentionIndexes1764500000000 } from './migrations/1764500000000-RetentionIndexes.js';
import { SpentTokenFingerprints1764500000001 } from './migrations/1764500000001-SpentTokenFingerprints.js';
import { SigningKey } from '../signing-keys/entities/signing-key.entity.js';
import { IntrospectionClient } from '../oauth/entities/introspection-client.entity.js';
import { IntrospectionClients1764600000000 } from './migrations/1764600000000-IntrospectionClients.js';
import { SessionAmr1764700000000 } from './migrations/1764700000000-SessionAmr.js';
import { SecondFactors1764700000001 } from './migrations/1764700000001-SecondFactors.js';
import { LoginChallenge } from '../mfa/entities/login-challenge.entity.js';
import { RecoveryCode } from '../mfa/entities/recovery-code.entity.js';
import { TotpFactor } from '../mfa/entities/totp-factor.entity.js';
import { Passkey } from '../passkeys/entities/passkey.entity.js';
import { WebAuthnChallenge } from '../passkeys/entities/webauthn-challenge.entity.js';
import { Identity } from '../identities/entities/identity.entity.js';
import { OAuthFlow } from '../identities/entities/oauth-flow.entity.js';
import { Identities1764800000001 } from './migrations/1764800000001-Identities.js';
import { Usernames1764800000000 } from './migrations/1764800000000-Usernames.js';
import { Passkeys1764700000002 } from './migrations/1764700000002-Passkeys.js';

/** Bounded so a dead database fails a request quickly instead of hanging it. */
const CONNECT_TIMEOUT_MS = 3000;

/** The client gives up this long after the server should have cancelled the statement itself. */
const CLIENT_TIMEOUT_MARGIN_MS = 1000;

/**
 * The one TypeORM configuration, used by the app, the migration command and the tests. With
 * `queryTimeoutMs` (the app's requests), the server cancels a longer statement, and the client gives
 * up on an answer that never comes (a frozen server or network), so no request waits on the database
 * for longer. PGlite ignores `statement_timeout`; the client timeout still applies.
 */
export function typeOrmOptions(connection: PostgresConnection, poolSize: number, queryTimeoutMs?: number): DataSourceOptions {
  return {
    type: 'postgres',
    ...connection,
    entities: [
      User,
      Session,
      OneTimeToken,
      AuditEvent,
      SigningKey,
      IntrospectionClient,
      TotpFactor,
      RecoveryCode,
      LoginChallenge,
      Passkey,
      WebAuthnChallenge,
      Identity,
      OAuthFlow,
    ],
    migrations: [
      InitialSchema1763800000000,
      AccountLifecycle1763900000000,
      SessionLifetime1764000000000,
      SessionUserIndex1764100000000,
      SpentTokenHashes1764200000000,
      SigningKeys1764300000000,
      UsersListIndexes1764400000000,
      RetentionIndexes1764500000000,
      SpentTokenFingerprints1764500000001,
      IntrospectionClients1764600000000,
      SessionAmr1764700000000,
      SecondFactors1764700000001,
      Passkeys1764700000002,
      Usernames1764800000000,
      Identities1764800000001,
    ],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // gen_random_uuid() is built into Postgres >= 13 and PGlite; no extension to install.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    poolSize,
    ...(queryTimeoutMs && {
      extra: { statement_timeout: queryTimeoutMs, query_timeout: queryTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS },
    }),
    // Query text and parameters (hashes, emails) stay out of the logs.
    logging: false,
  };
}

const MIGRATION_LOCK_RETRY_MS = 250;

async function tryLock(dataSource: DataSource): Promise<boolean> {
  const [{ locked }] = await dataSource.query<[{ locked: boolean }]>(
    "SELECT pg_try_advisory_lock(hashtext('auth-service:migrations')) AS locked",
  );
  return locked;
}

/**
 * Applies pending migrations while holding a session-level advisory lock, so instances starting
 * together on a new database take turns instead of racing to create the same tables. `dataSource`
 * must have a pool of one connection: the lock belongs to the session that migrates.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<Migration[]> {
  // Tried, not waited for in a statement: a waiting statement holds a snapshot, and CREATE INDEX
  // CONCURRENTLY in the lock holder's migration waits for every older snapshot, so a blocking
  // pg_advisory_lock here would deadlock with it.
  while (!(await tryLock(dataSource))) await sleep(MIGRATION_LOCK_RETRY_MS);
  try {
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.query("SELECT pg_advisory_unlock(hashtext('auth-service:migrations'))");
  }
}

/** A migration as `migrations:status` shows it. */
export interface MigrationState {
  name: string;
  /** Recorded as applied in the database. */
  applied: boolean;
  /** Part of this version's list (false: applied by a newer version of the service). */
  known: boolean;
}

/** Every migration of this version, oldest first, then any the database records that this version does not know. Only reads. */
export async function migrationStates(dataSource: DataSource): Promise<MigrationState[]> {
  const executor = new MigrationExecutor(dataSource);
  const applied = new Set((await executor.getExecutedMigrations()).map((migration) => migration.name));
  const known = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
  return [
    ...known.map((name) => ({ name, applied: applied.has(name), known: true })),
    ...[...applied].filter((name) => !known.includes(name)).map((name) => ({ name, applied: true, known: false })),
  ];
}

/** The names of this version's migrations not yet applied. Only reads. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  return (await migrationStates(dataSource)).filter((state) => !state.applied).map((state) => state.name);
}
