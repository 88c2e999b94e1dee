import type { FastifyInstance } from 'fastify';
import { METRICS_PATH } from './metrics.controller.js';
import { MetricsService, UNMATCHED_ROUTE } from './metrics.service.js';

/**
 * Times every answer into `http_request_duration_seconds`, labelled with the route's pattern as
 * Fastify matched it (`/api/v1/users/:id`, never the URL with its ids and queries); a request that
 * matched no route (404, a malformed URL) is counted under one label. Scrapes are not counted.
 */
export function observeRequestDurations(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    if (route !== METRICS_PATH) metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
