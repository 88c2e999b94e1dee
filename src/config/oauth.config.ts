import { ConfigType, registerAs } from '@nestjs/config';
import { IsOptional, IsString, IsUrl, Matches } from 'class-validator';
import { createHash } from 'node:crypto';
import { PLACEHOLDER } from './auth.config.js';
import { envValue, parseList, readEnv } from './env.js';
import { LIMIT, limitMessage, parseLimit } from './rate-limit.config.js';

/** An introspection client's id, in INTROSPECTION_CLIENTS or added from the command line. */
export const INTROSPECTION_CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** URL-unreserved characters only: the same text whether a client form-encodes it (RFC 6749 §2.3.1) or, as many do, not. */
const CLIENT_SECRET = /^[A-Za-z0-9._~-]+$/;
const MIN_CLIENT_SECRET_LENGTH = 32;
const MAX_CLIENT_SECRET_LENGTH = 256;

class OAuthEnv {
  /** `id:secret,id:secret`: the services that may introspect tokens. */
  @IsOptional()
  @IsString()
  INTROSPECTION_CLIENTS?: string;

  @Matches(LIMIT, { message: limitMessage('INTROSPECTION_RATE_LIMIT') })
  INTROSPECTION_RATE_LIMIT: string = '6000/1m';

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'PUBLIC_URL must be an http(s) URL such as https://auth.example.com' },
  )
  PUBLIC_URL?: string;
}

/** An introspection client as the service keeps it: never the secret, only its SHA-256. */
export interface IntrospectionClient {
  id: string;
  secretSha256: Buffer;
}

export const oauthConfig = registerAs('oauth', () => {
  const production = process.env.NODE_ENV === 'production';
  const env = readEnv(OAuthEnv, process.env, (env) => [
    ...clientProblems(env.INTROSPECTION_CLIENTS, production),
    ...publicUrlProblems(env.PUBLIC_URL),
  ]);
  const clients: IntrospectionClient[] = clientEntries(env.INTROSPECTION_CLIENTS).map(({ id, secret }) => ({
    id,
    secretSha256: createHash('sha256').update(secret).digest(),
  }));
  // APP_URL as the mail namespace reads it (and checks it): the pages of the mailed links are usually this service's.
  const publicUrl = env.PUBLIC_URL ?? (envValue('APP_URL') || `http://localhost:${process.env.PORT || 3000}`);
  return {
    /** The services that may call the introspection endpoint. */
    introspectionClients: clients,
    /** Requests per client; an authenticated client is not counted against its address. */
    introspectionRateLimit: parseLimit(env.INTROSPECTION_RATE_LIMIT),
    /** This service's public base URL, for the absolute URLs of its metadata; never taken from a request's Host header. */
    publicUrl: publicUrl.replace(/\/+$/, ''),
  };
});

export type OAuthConfig = ConfigType<typeof oauthConfig>;

/** The `id:secret` entries as written, split at the first colon (ids have none); an entry without one has an empty secret. */
function clientEntries(text: string | undefined): Array<{ id: string; secret: string }> {
  return parseList(text).map((entry) => {
    const colon = entry.indexOf(':');
    return colon < 0 ? { id: entry, secret: '' } : { id: entry.slice(0, colon), secret: entry.slice(colon + 1) };
  });
}

/** Each problem names the client by its position or, once that is valid, its id; never a secret. */
function clientProblems(text: string | undefined, production: boolean): string[] {
  const problems: string[] = [];
  const seenIds = new Set<string>();
  const seenSecrets = new Set<string>();
  clientEntries(text).forEach(({ id, secret }, index) => {
    const name = `INTROSPECTION_CLIENTS: client ${index + 1}`;
    if (!INTROSPECTION_CLIENT_ID.test(id)) {
      problems.push(`${name}: the id must be 1 to 64 letters, digits or . _ - (each client is written id:secret)`);
      return;
    }
    const named = `${name} (${id})`;
    if (seenIds.has(id)) problems.push(`${named}: the id is listed twice`);
    seenIds.add(id);
    if (secret.length < MIN_CLIENT_SECRET_LENGTH || secret.length > MAX_CLIENT_SECRET_LENGTH)
      problems.push(`${named}: the secret must be ${MIN_CLIENT_SECRET_LENGTH} to ${MAX_CLIENT_SECRET_LENGTH} characters`);
    else if (!CLIENT_SECRET.test(secret))
      problems.push(`${named}: the secret may hold only letters, digits and . _ ~ - (generate one: openssl rand -hex 32)`);
    else if (production && PLACEHOLDER.test(secret))
      problems.push(`${named}: the secret is a placeholder; generate one (openssl rand -hex 32)`);
    else if (seenSecrets.has(secret)) problems.push(`${named}: the secret is another client's; give each client its own`);
    seenSecrets.add(secret);
  });
  return problems;
}

function publicUrlProblems(url: string | undefined): string[] {
  if (url === undefined || !URL.canParse(url)) return [];
  const { search, hash } = new URL(url);
  return search || hash ? ['PUBLIC_URL must have no query or fragment (it is the base of the URLs the service publishes)'] : [];
}
