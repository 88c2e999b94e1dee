import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { readEnv, toSeconds } from './env.js';

class DatabaseEnv {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** Kept apart from DATABASE_URL so that it can come from a secret file (DATABASE_PASSWORD_FILE). */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  DATABASE_PASSWORD?: string;

  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_SIZE: number = 10;

  @Transform(toSeconds)
  @IsInt({ message: 'DATABASE_QUERY_TIMEOUT must be a duration such as 5 or 5s' })
  @Min(1)
  @Max(3600)
  DATABASE_QUERY_TIMEOUT: number = 5;
}

export const databaseConfig = registerAs('database', () => {
  const env = readEnv(DatabaseEnv, process.env, passwordProblems);
  return {
    /** Undefined means the embedded database under DATA_DIR. */
    url: env.DATABASE_URL ? withPassword(env.DATABASE_URL, env.DATABASE_PASSWORD) : undefined,
    poolSize: env.DATABASE_POOL_SIZE,
    queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT * 1000,
  };
});

export type DatabaseConfig = ConfigType<typeof databaseConfig>;

/** A password given twice is refused rather than one silently winning. */
function passwordProblems(env: DatabaseEnv): string[] {
  if (env.DATABASE_PASSWORD === undefined) return [];
  if (!env.DATABASE_URL) return ['DATABASE_PASSWORD is set without DATABASE_URL; it is the password for that server'];
  // A URL without a host (a Unix socket given as ?host=) cannot carry a password: URL drops it silently.
  if (!URL.canParse(env.DATABASE_URL) || new URL(env.DATABASE_URL).hostname === '')
    return [
      'DATABASE_PASSWORD needs a DATABASE_URL with a host name (postgres://user@host/db); otherwise put the password in DATABASE_URL',
    ];
  if (new URL(env.DATABASE_URL).password !== '')
    return ['DATABASE_URL has a password and DATABASE_PASSWORD is set; give it in only one of them'];
  return [];
}

/** Percent-encoded, so any character works (the driver decodes it). */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
