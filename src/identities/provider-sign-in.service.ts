import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RefreshCookieService } from '../auth/refresh-cookie.service.js';
import { ApiException } from '../common/errors/api.exception.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { FederatedLoginService } from './federated-login.service.js';
import { IdentitiesService } from './identities.service.js';
import { OAuthFlowsService } from './oauth-flows.service.js';
import { ProviderClients } from './provider-clients.js';
import { ProviderRefusal } from './provider-profile.js';
import { RedirectTargets } from './redirect-targets.js';

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

export interface StartRequest {
  provider: string;
  redirectTo?: string;
  /** A client that will exchange a one-time code: its PKCE S256 challenge. */
  codeChallenge?: string;
  /** Linking: the signed-in user. */
  linkTo?: string;
  /** The starting browser's binding (`BrowserBinding`). */
  browser: string;
}

/**
 * The browser's round trip through a provider. `start` keeps the flow and sends the browser there;
 * the callback checks what comes back and sends the browser to its `redirect_to` with the outcome:
 * signed in (the refresh cookie of cookie mode is set), `mfa_token` (the code step comes next),
 * `code` (a client exchanges it with its PKCE verifier), `linked`, or `error`. Never a token in a URL.
 */
@Injectable()
export class ProviderSignInService {
  private readonly logger = new Logger('IdentityProviders');

  constructor(
    private readonly clients: ProviderClients,
    private readonly flows: OAuthFlowsService,
    private readonly identities: IdentitiesService,
    private readonly redirects: RedirectTargets,
    private readonly login: FederatedLoginService,
    private readonly cookies: RefreshCookieService,
  ) {}

  /** The provider's authorization URL to send the browser to. */
  async start({ provider: name, redirectTo, codeChallenge, linkTo, browser }: StartRequest): Promise<string> {
    const provider = this.clients.get(name);
    const target = this.redirects.check(redirectTo);
    if (codeChallenge !== undefined && !S256_CHALLENGE.test(codeChallenge))
      throw new ApiException('validation_failed', ['code_challenge must be a base64url SHA-256 (43 characters), method S256']);
    const checks = await this.flows.start({
      provider: provider.name,
      purpose: linkTo ? 'link' : 'sign_in',
      userId: linkTo ?? null,
      redirectTo: target,
      clientChallenge: codeChallenge ?? null,
      browser,
    });
    return this.clients.authorizationUrl(provider, checks);
  }

  /** Where to send the browser once the provider came back; 400 `oauth_state_invalid` when the state is not one of ours. */
  async callback(
    name: string,
    query: Record<string, unknown>,
    rawQuery: string,
    browser: string | undefined,
    client: ClientInfo,
    reply: FastifyReply,
  ): Promise<string> {
    const provider = this.clients.get(name);
    const flow = await this.flows.take(provider.name, typeof query.state === 'string' ? query.state : undefined, browser);
    if (!flow)
      throw new ApiException(
        'oauth_state_invalid',
        'This sign-in is unknown, already finished or expired: start again from the sign-in page',
      );
    const back = (outcome: Record<string, string>) => withQuery(flow.redirectTo, outcome);
    try {
      const profile = await this.clients.finish(provider, rawQuery, flow.checks);
      if (flow.purpose === 'link') {
        await this.identities.link(flow.userId!, provider.name, profile, client);
        return back({ linked: provider.name });
      }
      const user = await this.identities.signIn(provider.name, profile, client);
      if (flow.clientChallenge) {
        const code = await this.flows.issueExchangeCode(flow.id, user.id);
        return back({ code });
      }
      const answer = await this.login.open(user.id, provider.name, client, true);
      if ('mfaRequired' in answer) return back({ mfa_token: answer.mfaToken });
      this.cookies.deliverTo(reply, answer);
      return back({});
    } catch (error) {
      const code = outcomeCode(error);
      if (!code) throw error;
      this.logger.warn({
        msg: 'provider sign-in refused',
        provider: provider.name,
        code,
        reason: error instanceof Error ? error.message : '',
      });
      return back({ error: code });
    }
  }
}

/** The error a redirect carries: a refusal's own code, or an API error's (account disabled, provider unavailable). */
function outcomeCode(error: unknown): string | undefined {
  if (error instanceof ProviderRefusal) return error.code;
  if (error instanceof ApiException) return error.code;
  return undefined;
}

function withQuery(target: string, outcome: Record<string, string>): string {
  const url = new URL(target);
  for (const [key, value] of Object.entries(outcome)) url.searchParams.set(key, value);
  return url.href;
}
