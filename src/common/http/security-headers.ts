import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type HeaderSet = Readonly<Record<string, string>>;

/** The headers of every answer: JSON is never rendered, framed or cached; nothing else is needed. */
export interface SecurityHeaders {
  /** API answers (JSON, errors, the framework's own refusals). */
  api: HeaderSet;
  /** The account page, its script and styles, and Swagger UI: a document a browser renders. */
  page: HeaderSet;
}

/** Sent only in production: on a developer's https://localhost it would pin HTTPS for every local app. */
const HSTS = { 'strict-transport-security': 'max-age=31536000; includeSubDomains' };

/**
 * Computed once at start; setting a header is all a request pays. A JSON answer needs: no caching,
 * no MIME sniffing, a CSP that allows nothing (should a browser ever render it) and no framing,
 * and no referrer: four headers (five in production) where helmet's set is thirteen, each of which
 * every answer paid to write. The page and Swagger UI get helmet's full set, whose CSP allows their
 * own scripts and styles. TLS is terminated in front of the service, so requests are not upgraded.
 */
export function securityHeaders(isProduction: boolean): SecurityHeaders {
  const hsts = isProduction ? HSTS : {};
  const api = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    ...hsts,
  };
  const page = helmetHeaders();
  delete page['strict-transport-security'];
  return { api: Object.freeze(api), page: Object.freeze({ ...page, ...hsts, 'cache-control': 'no-store' }) };
}

function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let done = false;
  helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } })(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error instanceof Error ? error : new Error('helmet failed to compute its headers');
      done = true;
    },
  );
  if (!done) throw new Error('helmet did not set its headers synchronously');
  return headers;
}

const RENDERS_PAGE = 'rendersPage';

/** Marks a route whose answer a browser renders as a document (the account page and its files). */
export const RendersPage = (): MethodDecorator => RouteConfig({ [RENDERS_PAGE]: true });

/**
 * Gives the page headers to every route marked `RendersPage()` or whose URL `isPageUrl` names (the
 * routes Swagger UI registers); they replace the API headers the global hook set. Call it before any
 * route is registered.
 */
export function sendPageHeaders(fastify: FastifyInstance, headers: HeaderSet, isPageUrl: (url: string) => boolean): void {
  const send: onRequestHookHandler = (_request, reply, done) => {
    void reply.headers(headers);
    done();
  };
  fastify.addHook('onRoute', (route) => {
    const config = route.config as Record<string, unknown> | undefined;
    if (config?.[RENDERS_PAGE] !== true && !isPageUrl(route.url)) return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [send, ...own];
  });
}
