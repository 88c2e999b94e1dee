import { ConfigType, registerAs } from '@nestjs/config';
import { IsOptional, IsString } from 'class-validator';
import { ConfigError } from './config-error.js';
import { envValue, parseList, readEnv } from './env.js';

/** Provider names: lower-case, as they appear in the routes (`/auth/oauth/<name>/start`) and the variables. */
const PROVIDER_NAME = /^[a-z][a-z0-9]{0,31}$/;

/**
 * Known OpenID Connect issuers; any other name needs its `OAUTH_<NAME>_ISSUER`. Microsoft has none:
 * its multi-tenant `common` endpoint names each tenant as the ID token's issuer, which a strict issuer
 * check refuses, so `OAUTH_MICROSOFT_ISSUER` names the tenant (`https://login.microsoftonline.com/<tenant id>/v2.0`).
 */
const KNOWN_ISSUERS: Record<string, string> = { google: 'https://accounts.google.com' };

const LABELS: Record<string, string> = { google: 'Google', github: 'GitHub', microsoft: 'Microsoft' };

class IdentityProvidersEnv {
  /** `google,github,microsoft,<any OpenID Connect name>`: the providers people may sign in with. */
  @IsOptional()
  @IsString()
  OAUTH_PROVIDERS?: string;

  /** Absolute URLs (or URL prefixes at a path boundary) a sign-in may return to, besides APP_URL's and this service's pages. */
  @IsOptional()
  @IsString()
  OAUTH_REDIRECT_ALLOWLIST?: string;
}

/** One configured provider. `github` is plain OAuth 2 with GitHub's endpoints; the others are OpenID Connect. */
export interface IdentityProviderConfig {
  name: string;
  label: string;
  kind: 'oidc' | 'github';
  clientId: string;
  clientSecret: string;
  /** OpenID Connect only: found through discovery (`/.well-known/openid-configuration`). */
  issuer?: string;
}

export const identityProvidersConfig = registerAs('identityProviders', () => {
  const problems: string[] = [];
  const env = readEnv(IdentityProvidersEnv, process.env, (values) => {
    for (const name of parseList(values.OAUTH_PROVIDERS)) {
      if (!PROVIDER_NAME.test(name))
        problems.push(`OAUTH_PROVIDERS: "${name}" must be a lower-case name of letters and digits, such as google`);
    }
    for (const entry of parseList(values.OAUTH_REDIRECT_ALLOWLIST)) {
      if (!isHttpUrl(entry)) problems.push(`OAUTH_REDIRECT_ALLOWLIST: "${entry}" must be an absolute http(s) URL`);
    }
    return problems;
  });
  const providers: IdentityProviderConfig[] = [];
  const missing: string[] = [];
  for (const name of new Set(parseList(env.OAUTH_PROVIDERS))) {
    const variable = (suffix: string) => `OAUTH_${name.toUpperCase()}_${suffix}`;
    const clientId = envValue(variable('CLIENT_ID'));
    const clientSecret = envValue(variable('CLIENT_SECRET'));
    const issuer = name === 'github' ? undefined : (envValue(variable('ISSUER')) ?? KNOWN_ISSUERS[name]);
    if (!clientId) missing.push(`${variable('CLIENT_ID')} is required by OAUTH_PROVIDERS=${name}`);
    if (!clientSecret) missing.push(`${variable('CLIENT_SECRET')} is required by OAUTH_PROVIDERS=${name}`);
    if (name !== 'github' && !issuer)
      missing.push(`${variable('ISSUER')} is required by OAUTH_PROVIDERS=${name} (its OpenID Connect issuer URL)`);
    if (issuer && !isHttpUrl(issuer)) missing.push(`${variable('ISSUER')} must be an absolute http(s) URL`);
    if (issuer && isHttpUrl(issuer) && new URL(issuer).protocol === 'http:' && !isLoopback(issuer))
      missing.push(`${variable('ISSUER')} must use https (http is accepted for a loopback issuer only)`);
    if (!clientId || !clientSecret) continue;
    providers.push({
      name,
      label: LABELS[name] ?? name.charAt(0).toUpperCase() + name.slice(1),
      kind: name === 'github' ? 'github' : 'oidc',
      clientId,
      clientSecret,
      issuer,
    });
  }
  if (missing.length > 0) throw new ConfigError(missing);
  return {
    providers,
    redirectAllowlist: parseList(env.OAUTH_REDIRECT_ALLOWLIST),
  };
});

export type IdentityProvidersConfig = ConfigType<typeof identityProvidersConfig>;

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** 127.0.0.0/8, ::1 and localhost: a provider on this machine (the tests'), the only place plain http is allowed. */
export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
