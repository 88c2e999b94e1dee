import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { TooManyRequestsException } from '../exceptions/too-many-requests.exception.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  requestId?: string;
}

/** Errors raised by Fastify itself before a route runs (body parsing, limits), with a plain message. */
const FASTIFY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty but Content-Type is application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
  FST_ERR_CTP_INVALID_TYPE: 'Invalid Content-Type',
};

/**
 * Owns the error shape `{statusCode, error, message}`. Anything unexpected becomes a bare 500 with
 * a request id; its details go to the log, never to the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, request);
    if (exception instanceof TooManyRequestsException) void reply.header('retry-after', String(exception.retryAfterSeconds));
    void reply.status(body.statusCode).header('cache-control', 'no-store').send(body);
  }

  private toBody(exception: unknown, request: FastifyRequest): ErrorBody {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      return { statusCode, error: reason(statusCode), message: messageOf(exception) };
    }
    const fastifyError = exception as { code?: unknown; statusCode?: unknown };
    if (typeof fastifyError.code === 'string' && fastifyError.code in FASTIFY_ERRORS && typeof fastifyError.statusCode === 'number') {
      return { statusCode: fastifyError.statusCode, error: reason(fastifyError.statusCode), message: FASTIFY_ERRORS[fastifyError.code] };
    }
    if (isConcurrencyConflict(exception)) {
      const statusCode = HttpStatus.CONFLICT;
      return { statusCode, error: reason(statusCode), message: 'A concurrent change got in the way; try again' };
    }
    if (isDependencyUnavailable(exception)) {
      this.logger.warn(`Database or Redis unavailable on ${request.method} ${request.url} (request ${request.id})`);
      const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
      return { statusCode, error: reason(statusCode), message: 'Service temporarily unavailable, try again shortly', requestId: String(request.id) };
    }
    this.logger.error(
      `Unhandled error on ${request.method} ${request.routeOptions.url ?? request.url} (request ${request.id})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    const statusCode = HttpStatus.INTERNAL_SERVER_ERROR;
    return { statusCode, error: reason(statusCode), message: 'Internal server error', requestId: String(request.id) };
  }
}

/** Connection-level failures (refused, dropped, timed out), Postgres shutdown states, Redis offline: retryable. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', '53300']);
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|connection is closed|not currently accepting connections|the database system is (starting up|shutting down)|The client is (offline|closed)|Socket closed unexpectedly/i;

function isDependencyUnavailable(exception: unknown): boolean {
  const error = exception as { code?: unknown; message?: unknown; driverError?: { code?: unknown } } | null;
  const code = error?.driverError?.code ?? error?.code;
  return (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) || (typeof error?.message === 'string' && UNAVAILABLE_MESSAGE.test(error.message));
}

/** Postgres gave up on this transaction because of another one (deadlock, serialization): retryable. */
function isConcurrencyConflict(exception: unknown): boolean {
  const code = (exception as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ?? (exception as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function reason(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}

function messageOf(exception: HttpException): string | string[] {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (typeof message === 'string' || (Array.isArray(message) && message.every((m) => typeof m === 'string'))) {
    return message;
  }
  return exception.message;
}
