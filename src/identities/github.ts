import type { ServerMetadata } from 'openid-client';
import { ProviderRefusal, type ProviderProfile } from './provider-profile.js';

/** GitHub is OAuth 2 without OpenID Connect: its endpoints are known, the person is read from its API. */
export const GITHUB_METADATA: ServerMetadata = {
  issuer: 'https://github.com',
  authorization_endpoint: 'https://github.com/login/oauth/authorize',
  token_endpoint: 'https://github.com/login/oauth/access_token',
};

const API = 'https://api.github.com';

interface GitHubUser {
  id?: unknown;
  name?: unknown;
  login?: unknown;
}

interface GitHubEmail {
  email?: unknown;
  primary?: unknown;
  verified?: unknown;
}

/**
 * The person behind a GitHub access token: the numeric user id (a login name can change hands), the
 * name, and the primary address only when GitHub says it is verified (the emails API; the profile's
 * public email may be anything).
 */
export async function fetchGitHubProfile(accessToken: string, fetcher: typeof fetch = fetch): Promise<ProviderProfile> {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetcher(`${API}${path}`, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/vnd.github+json',
        'user-agent': 'auth-service',
        'x-github-api-version': '2022-11-28',
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new ProviderRefusal('oauth_failed', `GitHub answered ${response.status} to ${path}`);
    return (await response.json()) as T;
  };
  const user = await get<GitHubUser>('/user');
  if (typeof user.id !== 'number' && typeof user.id !== 'string')
    throw new ProviderRefusal('oauth_failed', 'GitHub sent no user id');
  const emails = await get<GitHubEmail[]>('/user/emails');
  const primary = Array.isArray(emails) ? emails.find((entry) => entry.primary === true && entry.verified === true) : undefined;
  const email = typeof primary?.email === 'string' ? primary.email.trim().toLowerCase() : null;
  const name = typeof user.name === 'string' && user.name ? user.name : typeof user.login === 'string' ? user.login : null;
  return {
    subject: String(user.id),
    email: email && email.length <= 254 ? email : null,
    emailVerified: email !== null,
    name: name?.slice(0, 100) ?? null,
  };
}
