import { ConfigType, registerAs } from '@nestjs/config';
import { IsOptional, IsString } from 'class-validator';
import { createHash } from 'node:crypto';
import { PLACEHOLDER } from './auth.config.js';
import { readEnv } from './env.js';

const MIN_TOKEN_LENGTH = 32;
const MAX_TOKEN_LENGTH = 256;
/** RFC 6750's b64token: what a scraper can send as `Authorization: Bearer <token>` unchanged. */
const TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

class MetricsEnv {
  /** Unset: `/metrics` is off (404). Set: the bearer token a scraper sends. */
  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;
}

export const metricsConfig = registerAs('metrics', () => {
  const production = process.env.NODE_ENV === 'production';
  const env = readEnv(MetricsEnv, process.env, (env) => tokenProblems(env.METRICS_TOKEN, production));
  return {
    /** The SHA-256 of METRICS_TOKEN (never the token itself), compared in constant time; undefined: `/metrics` is off. */
    tokenSha256: env.METRICS_TOKEN === undefined ? undefined : createHash('sha256').update(env.METRICS_TOKEN).digest(),
  };
});

export type MetricsConfig = ConfigType<typeof metricsConfig>;

function tokenProblems(token: string | undefined, production: boolean): string[] {
  if (token === undefined) return [];
  if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH)
    return [`METRICS_TOKEN must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters (generate one: openssl rand -hex 32)`];
  if (!TOKEN.test(token))
    return ['METRICS_TOKEN may hold only letters, digits and . _ ~ + / - (generate one: openssl rand -hex 32)'];
  if (production && PLACEHOLDER.test(token)) return ['METRICS_TOKEN is a placeholder; generate one (openssl rand -hex 32)'];
  return [];
}
