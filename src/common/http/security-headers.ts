import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * Helmet's headers, computed once at start: they never change between requests, and computing them
 * per request (parsing and serializing the CSP) cost a fifth of a simple route's CPU. TLS is
 * terminated in front of the service, so requests are not upgraded (that would break plain-HTTP use).
 */
function securityHeaders(): Readonly<Record<string, string>> {
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
  // Every answer is private to its caller unless a route says otherwise.
  return Object.freeze({ ...headers, 'cache-control': 'no-store' });
}

/** The headers every answer carries, the framework's own error answers included. */
export const SECURITY_HEADERS = securityHeaders();
