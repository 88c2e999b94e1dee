import { createParamDecorator, ExecutionContext, Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiException } from '../../common/errors/api.exception.js';
import { appConfig, type AppConfig } from '../../config/app.config.js';
import { presentedRefreshToken, refreshCookieName, type PresentedRefreshToken } from '../presented-refresh-token.js';

/** Asks for cookie mode: `X-Token-Transport: cookie`. A custom header is also what a cross-site form cannot send. */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';

/** How the client wants its refresh token: in the JSON body, or only as an HttpOnly cookie. */
export interface TokenTransport {
  cookieMode: boolean;
  /** The refresh token the body carries, if any (null: sent as null). */
  bodyToken: string | null | undefined;
  /** The refresh token the cookie carries, if any ('' when it is not valid percent-encoding). */
  cookieToken: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  reply: FastifyReply;
}

interface RawTransport extends Omit<TokenTransport, 'bodyToken' | 'cookieToken'> {
  request: FastifyRequest;
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

  transform({ request, ...transport }: RawTransport): TokenTransport {
    const { fromBody, fromCookies }: PresentedRefreshToken = presentedRefreshToken(request, this.cookieName);
    if (transport.cookieMode && fromCookies.length > 1) {
      throw new ApiException(
        'bad_request',
        `More than one ${this.cookieName} cookie was sent; clear this site's cookies and log in again`,
      );
    }
    return { ...transport, bodyToken: fromBody, cookieToken: fromCookies[0] };
  }
}

const RawTransportParam = createParamDecorator((_data: unknown, context: ExecutionContext): RawTransport => {
  const http = context.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const origin = request.headers.origin;
  return {
    request,
    cookieMode: request.headers[TOKEN_TRANSPORT_HEADER] === 'cookie',
    origin: typeof origin === 'string' ? origin : undefined,
    host: request.headers.host,
    reply: http.getResponse<FastifyReply>(),
  };
});

export const Transport = (): ParameterDecorator => RawTransportParam(TokenTransportPipe);
