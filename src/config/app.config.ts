import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { resolve } from 'node:path';
import { parseList, readEnv } from './env.js';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Largest accepted request body; larger ones get 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

class AppEnv {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @IsString()
  @IsNotEmpty()
  HOST: string = '0.0.0.0';

  @IsString()
  @IsNotEmpty()
  DATA_DIR: string = './data';

  /** false (default), true, a number of proxy hops, or a comma-separated list of proxy addresses/CIDRs. */
  @Matches(/^(true|false|\d+|[0-9a-fA-F.:/,\s]+)$/, { message: 'TRUST_PROXY must be false, true, a hop count, or a list of proxy addresses' })
  TRUST_PROXY: string = 'false';

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? parseList(value) : value))
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { each: true, message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com' })
  CORS_ORIGINS: string[] = [];
}

export const appConfig = registerAs('app', () => {
  const env = readEnv(AppEnv);
  return {
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    dataDir: resolve(env.DATA_DIR),
    corsOrigins: env.CORS_ORIGINS.map((origin) => new URL(origin).origin),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
});

/** Without it, the client address is the socket's and X-Forwarded-For is ignored, so it cannot be spoofed. */
function parseTrustProxy(value: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address: string, hop: number) => hop < hops;
  }
  return parseList(value);
}

export type AppConfig = ConfigType<typeof appConfig>;
