import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { REQUEST_ID_HEADER, runInRequest } from './request-context.js';

/** Probes and scrapes, every few seconds from every watcher: their lines only at debug level. */
const QUIET_ROUTES = /^\/(health|metrics)(\/|$)/;

/**
 * Gives every request its id in the answer's X-Request-Id and in the log lines written while it is
 * served, and logs one line per request once answered: method, route pattern (never the URL, whose
 * query may hold a token), status, duration and the caller when known.
 */
export function logRequests(fastify: FastifyInstance, logger: Pino): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    runInRequest(request.id, done);
  });
  // A body is read on the socket's events, outside the request's context: enter it again before the handler.
  fastify.addHook('preValidation', (request, _reply, done) => runInRequest(request.id, done));
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? null;
    const status = reply.statusCode;
    const level = status >= 500 ? 'warn' : route && QUIET_ROUTES.test(route) ? 'debug' : 'info';
    logger[level](
      {
        reqId: request.id,
        method: request.method,
        route,
        status,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        userId: userIdOf(request),
      },
      'request completed',
    );
    done();
  });
}

/** The JWT strategy puts `{ user, sessionId }` on the request; the login strategy puts the user itself. */
function userIdOf(request: FastifyRequest & { user?: unknown }): string | undefined {
  const principal = request.user as { id?: unknown; user?: { id?: unknown } } | undefined;
  const id = principal?.user?.id ?? principal?.id;
  return typeof id === 'string' ? id : undefined;
}
