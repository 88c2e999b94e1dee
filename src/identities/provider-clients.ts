import { Inject, Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import {
  identityProvidersConfig,
  isLoopback,
  type IdentityProviderConfig,
  type IdentityProvidersConfig,
} from '../config/identity-providers.config.js';
import { oauthConfig, type OAuthConfig } from '../config/oauth.config.js';
import { ApiException } from '../common/errors/api.exception.js';
import { fetchGitHubProfile, GITHUB_METADATA } from './github.js';
import { ProviderRefusal, type FlowChecks, type ProviderProfile } from './provider-profile.js';

/** Discovery is retried after a failure, but not more often than this. */
const DISCOVERY_RETRY_MS = 10_000;

/**
 * The configured providers as openid-client sees them. An OpenID Connect provider's metadata is found
 * through discovery on first use and kept; a provider that is down then does not stop the service,
 * its sign-ins fail (`provider_unavailable`) until it answers. GitHub is plain OAuth 2 with its known
 * endpoints and no ID token.
 */
@Injectable()
export class ProviderClients {
  private readonly logger = new Logger('IdentityProviders');
  private readonly configurations = new Map<string, Promise<client.Configuration>>();
  private readonly failedAt = new Map<string, number>();

  constructor(
    @Inject(identityProvidersConfig.KEY) private readonly config: IdentityProvidersConfig,
    @Inject(oauthConfig.KEY) private readonly oauth: OAuthConfig,
  ) {}

  list(): IdentityProviderConfig[] {
    return this.config.providers;
  }

  /** 404 `oauth_provider_unknown` for a name that is not configured. */
  get(name: string): IdentityProviderConfig {
    const provider = this.config.providers.find((candidate) => candidate.name === name);
    if (!provider) throw new ApiException('oauth_provider_unknown', `No sign-in provider is configured under the name "${name}"`);
    return provider;
  }

  /** Where the provider sends the browser back; enter it at the provider as the redirect URI. */
  callbackUrl(provider: IdentityProviderConfig): string {
    return `${this.oauth.publicUrl}/api/v1/auth/oauth/${provider.name}/callback`;
  }

  async authorizationUrl(provider: IdentityProviderConfig, checks: FlowChecks): Promise<string> {
    const configuration = await this.configuration(provider);
    const parameters: Record<string, string> = {
      redirect_uri: this.callbackUrl(provider),
      scope: provider.kind === 'github' ? 'read:user user:email' : 'openid email profile',
      state: checks.state,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (provider.kind === 'oidc') parameters.nonce = checks.nonce;
    return client.buildAuthorizationUrl(configuration, parameters).href;
  }

  /**
   * Trades the code of the callback for the person's profile: state, PKCE verifier and (OpenID
   * Connect) the ID token's signature, issuer, audience, expiry and nonce are checked by openid-client.
   */
  async finish(provider: IdentityProviderConfig, query: string, checks: FlowChecks): Promise<ProviderProfile> {
    const configuration = await this.configuration(provider);
    const current = new URL(this.callbackUrl(provider));
    current.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        expectedState: checks.state,
        pkceCodeVerifier: checks.codeVerifier,
        ...(provider.kind === 'oidc' && { expectedNonce: checks.nonce, idTokenExpected: true }),
      });
    } catch (error) {
      throw refusalOf(error);
    }
    if (provider.kind === 'github') return fetchGitHubProfile(tokens.access_token);
    const claims = tokens.claims();
    if (!claims) throw new ProviderRefusal('oauth_failed', 'The provider sent no ID token');
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
    return {
      subject: claims.sub,
      email: email && email.length <= 254 ? email : null,
      emailVerified: claims.email_verified === true,
      name: typeof claims.name === 'string' ? claims.name.slice(0, 100) : null,
    };
  }

  private configuration(provider: IdentityProviderConfig): Promise<client.Configuration> {
    const known = this.configurations.get(provider.name);
    if (known) return known;
    const failed = this.failedAt.get(provider.name);
    if (failed !== undefined && Date.now() - failed < DISCOVERY_RETRY_MS) return Promise.reject(unavailable(provider));
    const pending = this.discover(provider).catch((error: unknown) => {
      this.configurations.delete(provider.name);
      this.failedAt.set(provider.name, Date.now());
      this.logger.warn({ msg: 'provider discovery failed', provider: provider.name, error: String(error) });
      throw unavailable(provider);
    });
    this.configurations.set(provider.name, pending);
    return pending;
  }

  private async discover(provider: IdentityProviderConfig): Promise<client.Configuration> {
    const auth = client.ClientSecretPost(provider.clientSecret);
    if (provider.kind === 'github') return new client.Configuration(GITHUB_METADATA, provider.clientId, undefined, auth);
    const issuer = new URL(provider.issuer!);
    const insecure = issuer.protocol === 'http:' && isLoopback(issuer.href);
    const configuration = await client.discovery(issuer, provider.clientId, undefined, auth, {
      ...(insecure && { execute: [client.allowInsecureRequests] }),
      timeout: 10,
    });
    return configuration;
  }
}

function unavailable(provider: IdentityProviderConfig): ApiException {
  return new ApiException('oauth_provider_unavailable', `${provider.label} cannot be reached right now; try again in a moment`);
}

/** openid-client's errors as the stable codes a redirect carries; the details go to the log, not the URL. */
function refusalOf(error: unknown): ProviderRefusal {
  if (error instanceof ProviderRefusal) return error;
  const name = error instanceof Error ? error.constructor.name : 'Error';
  const text = error instanceof Error ? error.message : String(error);
  if (name === 'AuthorizationResponseError') {
    const code = (error as { error?: unknown }).error;
    return new ProviderRefusal(code === 'access_denied' ? 'access_denied' : 'oauth_failed', text);
  }
  return new ProviderRefusal('oauth_failed', text);
}
