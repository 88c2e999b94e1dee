import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const REFRESH_COOKIE = 'auth_refresh';
/** Asks for cookie mode: `X-Token-Transport: cookie`. A custom header is also what a cross-site form cannot send. */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport';

/** How the client wants its refresh token: in the JSON body, or only as an HttpOnly cookie. */
export interface TokenTransport {
  cookieMode: boolean;
  /** The refresh token the cookie carries, if any. */
  cookieToken: string | undefined;
  origin: string | undefined;
  host: string | undefined;
  reply: FastifyReply;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      try {
        return decodeURIComponent(part.slice(at + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export const Transport = createParamDecorator((_data: unknown, context: ExecutionContext): TokenTransport => {
  const http = context.switchToHttp();
  const request = http.getRequest<FastifyRequest>();
  const header = request.headers[TOKEN_TRANSPORT_HEADER];
  const origin = request.headers.origin;
  return {
    cookieMode: header === 'cookie',
    cookieToken: readCookie(request.headers.cookie, REFRESH_COOKIE),
    origin: typeof origin === 'string' ? origin : undefined,
    host: request.headers.host,
    reply: http.getResponse<FastifyReply>(),
  };
});
