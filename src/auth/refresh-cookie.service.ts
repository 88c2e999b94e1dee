import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { ApiException } from '../common/errors/api.exception.js';
import { appConfig, type AppConfig } from '../config/app.config.js';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { mailConfig, type MailConfig } from '../config/mail.config.js';
import type { FastifyReply } from 'fastify';
import type { TokenTransport } from './decorators/token-transport.decorator.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { refreshCookieName } from './presented-refresh-token.js';

/** Outside production only the routes that read or set the cookie see it. */
const AUTH_PATH = '/api/v1/auth';

/**
 * Cookie mode for browsers: the refresh token travels only in an HttpOnly, SameSite=Strict cookie,
 * never in script-readable JSON. In production it is `__Host-auth_refresh` (Secure, Path=/, no
 * Domain: no sibling subdomain can plant one); elsewhere `auth_refresh` scoped to the auth routes,
 * since `__Host-` needs HTTPS. Requests that use the cookie must carry `X-Token-Transport: cookie`
 * (a cross-site form cannot) and, when the browser sends an Origin, come from this service, APP_URL
 * or CORS_ORIGINS.
 */
@Injectable()
export class RefreshCookieService {
  private readonly allowedOrigins: Set<string>;
  private readonly cookieName: string;

  constructor(
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(authConfig.KEY) private readonly auth: AuthConfig,
    @Inject(mailConfig.KEY) mail: MailConfig,
  ) {
    this.allowedOrigins = new Set([...app.corsOrigins, new URL(mail.appUrl).origin]);
    this.cookieName = refreshCookieName(app.isProduction);
  }

  /** In cookie mode, moves the refresh token from the answer into the cookie. */
  deliver(transport: TokenTransport, response: TokenResponseDto): TokenResponseDto {
    const { refreshToken, ...rest } = response;
    if (!transport.cookieMode || refreshToken === undefined) return response;
    void transport.reply.header('set-cookie', this.cookie(encodeURIComponent(refreshToken), this.auth.refresh.idleTtl));
    return rest;
  }

  /**
   * A browser that arrives by a redirect (a provider's callback): the refresh token goes into the
   * cookie, the rest of the answer nowhere (the page gets an access token with its cookie-mode refresh).
   */
  deliverTo(reply: FastifyReply, response: TokenResponseDto): void {
    if (response.refreshToken !== undefined)
      void reply.header('set-cookie', this.cookie(encodeURIComponent(response.refreshToken), this.auth.refresh.idleTtl));
  }

  /** The refresh token to spend: from the body, or (cookie mode, same-site request) from the cookie. */
  tokenFor(transport: TokenTransport): string {
    // A body token sent as null is a token, just not a valid one: refused as such, like any other.
    if (transport.bodyToken !== undefined) return transport.bodyToken ?? '';
    if (!transport.cookieMode)
      throw new BadRequestException([
        'refreshToken must be a string (or send X-Token-Transport: cookie with the refresh cookie)',
      ]);
    this.assertSameSite(transport);
    // Not a guess at a token: a signed-out page asking whether it still has a session.
    if (transport.cookieToken === undefined) throw new ApiException('refresh_token_missing', 'No refresh cookie was sent');
    return transport.cookieToken;
  }

  clear(transport: TokenTransport): void {
    if (transport.cookieToken !== undefined) void transport.reply.header('set-cookie', this.cookie('', 0));
  }

  private assertSameSite({ origin, host }: TokenTransport): void {
    if (origin === undefined) return;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ApiException('cross_site_request', 'Cross-site request refused');
    }
    if (parsed.host !== host && !this.allowedOrigins.has(parsed.origin))
      throw new ApiException('cross_site_request', 'Cross-site request refused');
  }

  private cookie(value: string, maxAge: number): string {
    const scope = this.app.isProduction ? '/' : AUTH_PATH;
    return `${this.cookieName}=${value}; Path=${scope}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${this.app.isProduction ? '; Secure' : ''}`;
  }
}
