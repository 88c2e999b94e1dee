import { Inject, Injectable } from '@nestjs/common';
import { ApiException } from '../common/errors/api.exception.js';
import { identityProvidersConfig, type IdentityProvidersConfig } from '../config/identity-providers.config.js';
import { mailConfig, type MailConfig } from '../config/mail.config.js';
import { oauthConfig, type OAuthConfig } from '../config/oauth.config.js';

/**
 * Where a provider sign-in may send the browser back: a page of this service or of APP_URL's origin,
 * or a URL of OAUTH_REDIRECT_ALLOWLIST (that URL, or below it at a path boundary). Anything else is
 * refused before the provider is asked, so the service is never an open redirect.
 */
@Injectable()
export class RedirectTargets {
  private readonly origins: Set<string>;

  constructor(
    @Inject(identityProvidersConfig.KEY) private readonly config: IdentityProvidersConfig,
    @Inject(oauthConfig.KEY) private readonly oauth: OAuthConfig,
    @Inject(mailConfig.KEY) private readonly mail: MailConfig,
  ) {
    this.origins = new Set([new URL(oauth.publicUrl).origin, new URL(mail.appUrl).origin]);
  }

  /** The default: the account page (APP_URL). */
  get home(): string {
    return `${this.mail.appUrl}/`;
  }

  /** The absolute URL to return to; 400 `oauth_redirect_refused` when it is not allowed. */
  check(redirectTo: string | undefined): string {
    if (redirectTo === undefined || redirectTo === '') return this.home;
    let url: URL;
    try {
      // A path of this service ("/account") is taken as one; "//host" is not a path but another host.
      url =
        redirectTo.startsWith('/') && !redirectTo.startsWith('//')
          ? new URL(redirectTo, this.oauth.publicUrl)
          : new URL(redirectTo);
    } catch {
      throw refused();
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refused();
    if (url.username || url.password) throw refused();
    url.hash = '';
    if (this.origins.has(url.origin) || this.config.redirectAllowlist.some((entry) => within(url, entry))) return url.href;
    throw refused();
  }
}

/** `url` is `entry` or lies below it: same origin, and the path continues at a `/` (not `/app` matching `/apps`). */
function within(url: URL, entry: string): boolean {
  const allowed = new URL(entry);
  if (url.origin !== allowed.origin) return false;
  const base = allowed.pathname;
  const path = url.pathname;
  if (path === base) return true;
  return path.startsWith(base.endsWith('/') ? base : `${base}/`);
}

function refused(): ApiException {
  return new ApiException(
    'oauth_redirect_refused',
    'redirect_to must be a page of this service, of APP_URL, or a URL listed in OAUTH_REDIRECT_ALLOWLIST',
  );
}
