import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { resolve } from 'node:path';
import { parseList, readEnv, toSeconds } from './env.js';

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
  @Matches(/^(true|false|\d+|[0-9a-fA-F.:/,\s]+)$/, {
    message: 'TRUST_PROXY must be false, true, a hop count, or a list of proxy addresses',
  })
  TRUST_PROXY: string = 'false';

  /** Whole request (headers and body); a slower one gets 408 and its connection is closed. */
  @Transform(toSeconds)
  @IsInt({ message: 'HTTP_REQUEST_TIMEOUT must be a duration such as 30 or 30s' })
  @Min(1)
  @Max(3600)
  HTTP_REQUEST_TIMEOUT: number = 30;

  /** Headers alone; capped at HTTP_REQUEST_TIMEOUT. */
  @Transform(toSeconds)
  @IsInt({ message: 'HTTP_HEADERS_TIMEOUT must be a duration such as 10 or 10s' })
  @Min(1)
  @Max(3600)
  HTTP_HEADERS_TIMEOUT: number = 10;

  /** An idle kept-alive connection; longer than a load balancer's idle timeout (60 s on most). */
  @Transform(toSeconds)
  @IsInt({ message: 'HTTP_KEEP_ALIVE_TIMEOUT must be a duration such as 72 or 72s' })
  @Min(1)
  @Max(3600)
  HTTP_KEEP_ALIVE_TIMEOUT: number = 72;

  /** After SIGTERM/SIGINT the process exits this long after shutdown began, finished or not. */
  @Transform(toSeconds)
  @IsInt({ message: 'SHUTDOWN_GRACE must be a duration such as 10 or 10s' })
  @Min(1)
  @Max(3600)
  SHUTDOWN_GRACE: number = 10;

  /** After SIGTERM/SIGINT, readiness fails this long before the listener closes (part of SHUTDOWN_GRACE). */
  @Transform(toSeconds)
  @IsInt({ message: 'SHUTDOWN_DELAY must be a duration such as 0 or 5s' })
  @Min(0)
  @Max(3600)
  SHUTDOWN_DELAY: number = 0;

  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? parseList(value) : value))
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { each: true, message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://app.example.com' },
  )
  CORS_ORIGINS: string[] = [];

  @IsOptional()
  @IsIn(['true', 'false'], { message: 'DOCS_ENABLED must be true or false' })
  DOCS_ENABLED?: string;
}

export const appConfig = registerAs('app', () => {
  const env = readEnv(AppEnv, process.env, (env) =>
    // The delay is spent inside the grace period: at least a second must be left for the requests to finish.
    env.SHUTDOWN_DELAY >= env.SHUTDOWN_GRACE
      ? [
          `SHUTDOWN_DELAY: must be shorter than SHUTDOWN_GRACE (${env.SHUTDOWN_GRACE} s), which it is part of; got ${env.SHUTDOWN_DELAY} s`,
        ]
      : [],
  );
  return {
    nodeEnv: env.NODE_ENV,
    isProduction: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    dataDir: resolve(env.DATA_DIR),
    corsOrigins: env.CORS_ORIGINS.map((origin) => new URL(origin).origin),
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    httpTimeouts: httpTimeouts(env),
    shutdownGraceMs: env.SHUTDOWN_GRACE * 1000,
    shutdownDelayMs: env.SHUTDOWN_DELAY * 1000,
    /** Swagger UI at /docs and the OpenAPI document at /docs-json; off by default in production. */
    docsEnabled: env.DOCS_ENABLED === undefined ? env.NODE_ENV !== 'production' : env.DOCS_ENABLED === 'true',
  };
});

/** Fastify's server options for the HTTP deadlines; Node's own server takes the headers deadline. */
function httpTimeouts(env: AppEnv) {
  const requestTimeout = env.HTTP_REQUEST_TIMEOUT * 1000;
  const keepAliveTimeout = env.HTTP_KEEP_ALIVE_TIMEOUT * 1000;
  const headersTimeout = Math.min(env.HTTP_HEADERS_TIMEOUT * 1000, requestTimeout);
  // Node checks the request and headers deadlines on this interval, 30 s by default: up to twice the deadline.
  const connectionsCheckingInterval = Math.min(1000, headersTimeout / 2);
  return {
    requestTimeout,
    keepAliveTimeout,
    http: { requestTimeout, headersTimeout, keepAliveTimeout, connectionsCheckingInterval },
  };
}

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
