import { Logger } from '@nestjs/common';
import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { readEnv, toSeconds } from './env.js';

const MIN_SECRET_LENGTH = 32;
/** Values copied from documentation instead of generated: "change-me", "paste the output of openssl rand…". */
export const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|example|placeholder|paste|openssl|^secret$/i;

/** Algorithms access tokens may be signed with; jsonwebtoken 9 (under passport-jwt) has no EdDSA. */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'HS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The longest JWT_ACCESS_TTL allowed: a replaced signing key verifies its tokens this long. */
export const MAX_ACCESS_TTL_SECONDS = 24 * 3600;

class AuthEnv {
  /** The master secret: signing keys and other sealed values are encrypted under keys derived from it. */
  @IsOptional()
  @IsString()
  JWT_SECRET?: string;

  @IsIn(SIGNING_ALGORITHMS, { message: `JWT_ALGORITHM must be one of ${SIGNING_ALGORITHMS.join(', ')}` })
  JWT_ALGORITHM: SigningAlgorithm = 'ES256';

  /** A new signing key this often (none by default: rotate by command). */
  @IsOptional()
  @Transform(toSeconds)
  @IsInt({ message: 'JWT_KEY_ROTATION must be a duration such as 90d' })
  @Min(86400, { message: 'JWT_KEY_ROTATION must be at least 1d' })
  @Max(5 * 365 * 86400)
  JWT_KEY_ROTATION?: number;

  /** How long verifiers may cache the JWKS; a new key is published at least this long before it signs. */
  @Transform(toSeconds)
  @IsInt({ message: 'JWKS_MAX_AGE must be a duration such as 300, 300s or 5m' })
  @Min(1)
  @Max(86400)
  JWKS_MAX_AGE: number = 300;

  @Transform(toSeconds)
  @IsInt({ message: 'JWT_ACCESS_TTL must be a duration such as 900, 900s or 15m' })
  @Min(10)
  @Max(MAX_ACCESS_TTL_SECONDS)
  JWT_ACCESS_TTL: number = 900;

  @Transform(toSeconds)
  @IsInt({ message: 'JWT_REFRESH_TTL must be a duration such as 2592000, 720h or 30d' })
  @Min(60)
  @Max(365 * 86400)
  JWT_REFRESH_TTL: number = 30 * 86400;

  @IsOptional()
  @Transform(toSeconds)
  @IsInt({ message: 'SESSION_IDLE_TTL must be a duration such as 30d' })
  @Min(1)
  @Max(365 * 86400)
  SESSION_IDLE_TTL?: number;

  @Transform(toSeconds)
  @IsInt({ message: 'SESSION_MAX_TTL must be a duration such as 90d' })
  @Min(1)
  @Max(5 * 365 * 86400)
  SESSION_MAX_TTL: number = 90 * 86400;

  @Transform(toSeconds)
  @IsInt({ message: 'JWT_REFRESH_REUSE_WINDOW must be a number of seconds (0 turns it off)' })
  @Min(0)
  @Max(300)
  JWT_REFRESH_REUSE_WINDOW: number = 10;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  JWT_ISSUER?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  JWT_AUDIENCE?: string;

  @IsInt()
  @Min(4)
  @Max(15)
  BCRYPT_COST: number = 12;

  @Transform(toSeconds)
  @IsInt({ message: 'AUTH_CACHE_TTL must be a number of seconds (0 turns the cache off)' })
  @Min(0)
  @Max(300)
  AUTH_CACHE_TTL: number = 5;

  @IsInt()
  @Min(1)
  @Max(64)
  BCRYPT_THREADS: number = availableParallelism();

  @IsIn(['true', 'false'], { message: 'REQUIRE_EMAIL_VERIFICATION must be true or false' })
  REQUIRE_EMAIL_VERIFICATION: string = 'false';

  @IsIn(['true', 'false'], { message: 'REQUIRE_EMAIL must be true or false' })
  REQUIRE_EMAIL: string = 'false';

  @Transform(toSeconds)
  @IsInt({ message: 'EMAIL_VERIFY_TTL must be a duration such as 24h' })
  @Min(60)
  @Max(30 * 86400)
  EMAIL_VERIFY_TTL: number = 24 * 3600;

  @Transform(toSeconds)
  @IsInt({ message: 'EMAIL_CHANGE_TTL must be a duration such as 24h' })
  @Min(60)
  @Max(30 * 86400)
  EMAIL_CHANGE_TTL: number = 24 * 3600;

  @Transform(toSeconds)
  @IsInt({ message: 'PASSWORD_RESET_TTL must be a duration such as 30m' })
  @Min(60)
  @Max(24 * 3600)
  PASSWORD_RESET_TTL: number = 30 * 60;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an email address' })
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;
}

export const authConfig = registerAs('auth', () => {
  const production = process.env.NODE_ENV === 'production';
  const env = readEnv(AuthEnv, process.env, (env) => [
    ...secretProblems(env.JWT_SECRET, production),
    ...adminProblems(env, production),
  ]);
  const secret = env.JWT_SECRET ?? devSecret();
  return {
    jwt: {
      /** JWT_SECRET's bytes: never a signing key itself, only the root that encryption keys are derived from. */
      masterSecret: Buffer.from(secret, 'utf8'),
      /** New signing keys use it; tokens are checked against their own key's algorithm. */
      algorithm: env.JWT_ALGORITHM,
      accessTtl: env.JWT_ACCESS_TTL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      /** Seconds between scheduled key rotations; undefined: by command only. */
      keyRotation: env.JWT_KEY_ROTATION,
      /** Seconds a JWKS may be cached, and the least time a new key is published before it signs. */
      jwksMaxAge: env.JWKS_MAX_AGE,
    },
    refresh: {
      /** A session ends when its refresh token goes unused this long (SESSION_IDLE_TTL, else JWT_REFRESH_TTL)… */
      idleTtl: env.SESSION_IDLE_TTL ?? env.JWT_REFRESH_TTL,
      /** …and at the latest this long after login, however often it is refreshed. */
      maxTtl: env.SESSION_MAX_TTL,
      reuseWindow: env.JWT_REFRESH_REUSE_WINDOW,
    },
    bcryptCost: env.BCRYPT_COST,
    /** Worker threads that hash and check passwords. */
    bcryptThreads: env.BCRYPT_THREADS,
    /** Seconds a session-and-user check is remembered (local writes forget it at once). */
    identityCacheTtl: env.AUTH_CACHE_TTL,
    requireEmailVerification: env.REQUIRE_EMAIL_VERIFICATION === 'true',
    /** Every account needs an email address (always, when it must be verified). */
    requireEmail: env.REQUIRE_EMAIL === 'true' || env.REQUIRE_EMAIL_VERIFICATION === 'true',
    /** Lifetimes of the one-time tokens mailed to users, in seconds. */
    oneTimeTokenTtl: {
      verify_email: env.EMAIL_VERIFY_TTL,
      change_email: env.EMAIL_CHANGE_TTL,
      reset_password: env.PASSWORD_RESET_TTL,
    },
    admin:
      env.ADMIN_EMAIL && env.ADMIN_PASSWORD
        ? { email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD.normalize('NFC') }
        : undefined,
  };
});

export type AuthConfig = ConfigType<typeof authConfig>;

function secretProblems(secret: string | undefined, production: boolean): string[] {
  if (!production) return [];
  if (!secret) return ['JWT_SECRET is required when NODE_ENV=production'];
  if (secret.length < MIN_SECRET_LENGTH)
    return [`JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters when NODE_ENV=production`];
  if (PLACEHOLDER.test(secret)) return ['JWT_SECRET is a placeholder; set a random value (openssl rand -base64 48)'];
  return [];
}

function adminProblems(env: AuthEnv, production: boolean): string[] {
  if ((env.ADMIN_EMAIL === undefined) !== (env.ADMIN_PASSWORD === undefined))
    return ['ADMIN_EMAIL and ADMIN_PASSWORD must be set together'];
  if (env.ADMIN_PASSWORD !== undefined && Buffer.byteLength(env.ADMIN_PASSWORD) > 72)
    return ['ADMIN_PASSWORD must be at most 72 bytes'];
  if (production && env.ADMIN_PASSWORD !== undefined && PLACEHOLDER.test(env.ADMIN_PASSWORD))
    return ['ADMIN_PASSWORD is a placeholder; choose a password of your own (or generate one: openssl rand -base64 18)'];
  return [];
}

/** Development only: a random secret generated once and kept in DATA_DIR, so tokens survive a restart. */
function devSecret(): string {
  const dataDir = resolve(process.env.DATA_DIR || './data');
  const file = join(dataDir, 'jwt-secret');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= MIN_SECRET_LENGTH) return kept;
  } catch {
    // None yet: make one.
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  new Logger('Config').warn(`JWT_SECRET is not set: generated one and kept it in ${file} (development only)`);
  return secret;
}
