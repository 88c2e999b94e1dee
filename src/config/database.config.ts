import { ConfigType, registerAs } from '@nestjs/config';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { readEnv } from './env.js';

class DatabaseEnv {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsInt()
  @Min(1)
  @Max(100)
  DATABASE_POOL_SIZE: number = 10;
}

export const databaseConfig = registerAs('database', () => {
  const env = readEnv(DatabaseEnv);
  return {
    /** Undefined means the embedded database under DATA_DIR. */
    url: env.DATABASE_URL || undefined,
    poolSize: env.DATABASE_POOL_SIZE,
  };
});

export type DatabaseConfig = ConfigType<typeof databaseConfig>;
