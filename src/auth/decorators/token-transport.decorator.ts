import { createParamDecorator, ExecutionContext, Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiException } from '../../common/errors/api.exception.js';
import { appConfig, type AppConfig } from '../../config/app.config.js';

export const REFRESH_COOKIE = 'auth_refresh';
/**
 * The name in production: a browser keeps a `__Host-` cookie only when this very host set it over
 * HTTPS with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain can neither plant nor shadow it.
 */
export const HOST_REFRESH_COOKIE = `__Host-${REFRESH_COOKIE}`;
/** Asks for cookie mode: `X-Token-Transport: cookie`. A custom header is also what a cross-site form cannot send. */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';

export function refreshCookieName(isProduction: boolean): string {
  return isProduction ? HOST_REFRESH_COOKIE : REFRESH_COOKIE;
}

/** How the client wants its refresh token: in the JSON body, or only as an HttpOnly cookie. */
export interface TokenTransport {
  cookieMode: boolean;
  /** The refresh token the cookie carries, if any ('' when it is not valid percent-encoding). */
  cookieToken: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  reply: FastifyReply;
}

type RawTransport = Omit<TokenTransport, 'cookieToken'> & { cookieHeader: string | undefined };

/** Every value of the cookie `name` in a Cookie header, in order, still encoded. */
function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) values.push(part.slice(at + 1).trim());
  }
  return values;
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The first value of the cookie `name`; undefined when absent or not valid percent-encoding. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  const [first] = cookieValues(header, name);
  return first === undefined ? undefined : decode(first);
}

/**
 * Picks the refresh cookie of this environment. Two of them in one cookie-mode request mean one was
 * planted (a sibling subdomain can set a cookie for the parent domain, and the browser sends both):
 * refused before anything is spent rather than letting the order of the header choose the session.
 */
@Injectable()
export class TokenTransportPipe implements PipeTransform<RawTransport, TokenTransport> {
  private readonly cookieName: string;

  constructor(@Inject(appConfig.KEY) app: AppConfig) {
    this.cookieName = refreshCookieName(app.isProduction);
  }

  transform({ cookieHeader, ...transport }: RawTransport): TokenTransport {
    const values = cookieValues(cookieHeader, this.cookieName);
    if (transport.cookieMode && values.length > 1) {
      throw new ApiException(
        'bad_request',
        `More than one ${this.cookieName} cookie was sent; clear this site's cookies and log in again`,
      );
    }
    return { ...transport, cookieToken: values[0] === undefined ? undefined : (decode(values[0]) ?? '') };
  }
}

const RawTransportParam = createParamDecorator((_data: unknown, context: ExecutionContext): RawTransport => {
  const http = context.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const header = request.headers[TOKEN_TRANSPORT_HEADER];
  const origin = request.headers.origin;
  return {
    cookieMode: header === 'cookie',
    cookieHeader: request.headers.cookie,
    origin: typeof origin === 'string' ? origin : undefined,
    host: request.headers.host,
    reply: http.getResponse<FastifyReply>(),
  };
});

export const Transport = (): ParameterDecorator => RawTransportParam(TokenTransportPipe);
