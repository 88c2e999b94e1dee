import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { readEnv, toSeconds } from './env.js';

class DatabaseEnv {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

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
  const env = readEnv(DatabaseEnv);
  return {
    /** Undefined means the embedded database under DATA_DIR. */
    url: env.DATABASE_URL || undefined,
    poolSize: env.DATABASE_POOL_SIZE,
    queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT * 1000,
  };
});

export type DatabaseConfig = ConfigType<typeof databaseConfig>;
