import type { FastifyRequest } from 'fastify';
import { cookieValues, decodeCookie } from '../common/request/cookies.js';

export const REFRESH_COOKIE = 'auth_refresh';
/**
 * The name in production: a browser keeps a `__Host-` cookie only when this very host set it over
 * HTTPS with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain can neither plant nor shadow it.
 */
export const HOST_REFRESH_COOKIE = `__Host-${REFRESH_COOKIE}`;

export function refreshCookieName(isProduction: boolean): string {
  return isProduction ? HOST_REFRESH_COOKIE : REFRESH_COOKIE;
}

/** Where a request carries a refresh token: its JSON body, or the refresh cookie of cookie mode. */
export interface PresentedRefreshToken {
  /** The body's `refreshToken` when it is a string, null when it was sent as null (the route's DTO refuses anything else). */
  fromBody: string | null | undefined;
  /** Each value of this environment's refresh cookie, decoded ('' when it is not valid percent-encoding). */
  fromCookies: string[];
}

/**
 * The one place that reads a refresh token from a request: the refresh limit (before the handler)
 * and the token transport (for the handler) both read it through here.
 */
export function presentedRefreshToken(request: FastifyRequest, cookieName: string): PresentedRefreshToken {
  const body = (request.body as { refreshToken?: unknown } | undefined)?.refreshToken;
  return {
    fromBody: typeof body === 'string' || body === null ? body : undefined,
    fromCookies: cookieValues(request.headers.cookie, cookieName).map((value) => decodeCookie(value) ?? ''),
  };
}
