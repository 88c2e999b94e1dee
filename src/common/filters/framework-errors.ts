import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { HeaderSet } from '../http/security-headers.js';
import type { ErrorBody } from './all-exceptions.filter.js';

/**
 * Errors Fastify raises while routing, before any hook or Nest filter runs (a malformed URL, an
 * over-long path parameter): the same shape and headers as every other answer.
 */
export function frameworkErrorAnswerer(
  headers: HeaderSet,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    const message =
      error.code === 'FST_ERR_BAD_URL' ? 'The URL is malformed (bad percent-encoding)' : 'The request could not be routed';
    const body: ErrorBody = { statusCode: 400, error: 'Bad Request', code: 'bad_request', message };
    void reply.code(400).headers(headers).send(body);
  };
}
