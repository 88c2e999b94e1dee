import type { LogLevel } from '@nestjs/common';

/** Seconds a fetched key is used without asking the auth service again: its default JWKS_MAX_AGE. */
export const DEFAULT_JWKS_CACHE_MAX_AGE = 300;

/** How this service finds the auth service's keys and which tokens it takes. */
export interface ResourceServerOptions {
  /** The auth service's base URL; its public keys are at `${authUrl}/.well-known/jwks.json`. */
  authUrl: string;
  /** The `iss` every token must carry (the auth service's JWT_ISSUER); unset: not checked. */
  issuer?: string;
  /** The `aud` every token must carry (the auth service's JWT_AUDIENCE); unset: not checked. */
  audience?: string;
  /** Seconds a fetched key is trusted without asking again, which is also how long a revoked key still works here. */
  jwksCacheMaxAge?: number;
  logger?: LogLevel[] | false;
}

/** The options and listener, as `main.ts` runs the service. */
export interface ResourceServerEnv extends ResourceServerOptions {
  host: string;
  port: number;
}

export const RESOURCE_SERVER_OPTIONS = Symbol('RESOURCE_SERVER_OPTIONS');

export function jwksUri(authUrl: string): string {
  return `${authUrl.replace(/\/+$/, '')}/.well-known/jwks.json`;
}

/** Reads the environment (an empty value counts as unset); throws one message naming every wrong variable. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ResourceServerEnv {
  const read = (name: string) => env[name] || undefined;
  const problems: string[] = [];
  const authUrl = read('AUTH_URL') ?? '';
  if (!/^https?:\/\//.test(authUrl) || !URL.canParse(authUrl)) {
    problems.push('AUTH_URL must be the auth service’s base URL, e.g. https://auth.example.com');
  }
  const port = Number(read('PORT') ?? 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('PORT must be a port number');
  const jwksCacheMaxAge = Number(read('AUTH_JWKS_CACHE_MAX_AGE') ?? DEFAULT_JWKS_CACHE_MAX_AGE);
  if (!Number.isInteger(jwksCacheMaxAge) || jwksCacheMaxAge < 1) {
    problems.push('AUTH_JWKS_CACHE_MAX_AGE must be a number of seconds, at least 1');
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    authUrl,
    issuer: read('AUTH_ISSUER'),
    audience: read('AUTH_AUDIENCE'),
    jwksCacheMaxAge,
    host: read('HOST') ?? '0.0.0.0',
    port,
  };
}
