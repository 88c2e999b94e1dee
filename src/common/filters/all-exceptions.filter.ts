import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { DatabaseStatus } from '../database/database-status.js';
import { errorCodeOf } from '../errors/api.exception.js';
import { defaultCode, type ErrorCode } from '../errors/error-codes.js';
import { TooManyRequestsException } from '../errors/too-many-requests.exception.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string | string[];
  requestId?: string;
}

/** Errors raised by Fastify itself before a route runs (body parsing, limits), with a plain message. */
const FASTIFY_ERRORS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty but Content-Type is application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type: send the body as JSON, with Content-Type: application/json',
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

  constructor(@Optional() private readonly database?: DatabaseStatus) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = this.toBody(exception, request);
    if (exception instanceof TooManyRequestsException) void reply.header('retry-after', String(exception.retryAfterSeconds));
    if (body.statusCode === 401) void reply.header('www-authenticate', challenge(body));
    void reply.status(body.statusCode).header('cache-control', 'no-store').send(body);
  }

  private toBody(exception: unknown, request: FastifyRequest): ErrorBody {
    const fastifyMessage = fastifyMessageOf(exception);
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const message = fastifyMessage ?? messageOf(exception);
      return { statusCode, error: reason(statusCode), code: errorCodeOf(exception), message };
    }
    const fastifyStatus = (exception as { statusCode?: unknown } | null)?.statusCode;
    if (fastifyMessage && typeof fastifyStatus === 'number') {
      return {
        statusCode: fastifyStatus,
        error: reason(fastifyStatus),
        code: defaultCode(fastifyStatus),
        message: fastifyMessage,
      };
    }
    if (isConcurrencyConflict(exception)) {
      const statusCode = HttpStatus.CONFLICT;
      return {
        statusCode,
        error: reason(statusCode),
        code: 'conflict',
        message: 'A concurrent change got in the way; try again',
      };
    }
    if (isDependencyUnavailable(exception)) {
      // Logged once when the database is lost and once when it is back, not once per request.
      if (!REDIS_MESSAGE.test(String((exception as { message?: unknown } | null)?.message)))
        this.database?.unreachable(exception);
      const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
      return {
        statusCode,
        error: reason(statusCode),
        code: 'service_unavailable',
        message: 'Service temporarily unavailable, try again shortly',
        requestId: String(request.id),
      };
    }
    this.logger.error(
      // The route pattern, or the path without its query (which may hold a token).
      `Unhandled error on ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]} (request ${request.id})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    const statusCode = HttpStatus.INTERNAL_SERVER_ERROR;
    return {
      statusCode,
      error: reason(statusCode),
      code: 'internal_error',
      message: 'Internal server error',
      requestId: String(request.id),
    };
  }
}

/** Connection-level failures (refused, dropped, timed out), Postgres shutdown states, Redis offline: retryable. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'ETIMEDOUT',
  'EPIPE',
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '53300',
]);
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Query read timeout|Connection terminated|Client has encountered a connection error|connection is closed|not currently accepting connections|the database system is (starting up|shutting down)|The client is (offline|closed)|Socket closed unexpectedly/i;

const REDIS_MESSAGE = /The client is (offline|closed)|Socket closed unexpectedly/;

/** RFC 6750 §3: every 401 names the Bearer scheme; a rejected access token also says `invalid_token`. */
const TOKEN_ERRORS = new Set<ErrorCode>(['token_invalid', 'token_expired', 'session_ended']);

function challenge(body: ErrorBody): string {
  // Introspection clients are services, authenticated with HTTP Basic (RFC 6749 §2.3.1), not bearer tokens.
  if (body.code === 'client_unauthorized') return 'Basic realm="introspection"';
  if (body.code === 'metrics_unauthorized') return 'Bearer realm="metrics"';
  if (!TOKEN_ERRORS.has(body.code)) return 'Bearer realm="api"';
  // A quoted-string may not hold a bare quote or backslash: they become an apostrophe and go.
  const description = (Array.isArray(body.message) ? body.message.join('; ') : body.message)
    .replace(/"/g, "'")
    .replace(/\\/g, '');
  return `Bearer realm="api", error="invalid_token", error_description="${description}"`;
}

function isDependencyUnavailable(exception: unknown): boolean {
  const error = exception as { code?: unknown; message?: unknown; driverError?: { code?: unknown } } | null;
  const code = error?.driverError?.code ?? error?.code;
  return (
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    (typeof error?.message === 'string' && UNAVAILABLE_MESSAGE.test(error.message))
  );
}

/** Postgres gave up on this transaction because of another one (deadlock, serialization): retryable. */
function isConcurrencyConflict(exception: unknown): boolean {
  const code =
    (exception as { driverError?: { code?: unknown }; code?: unknown } | null)?.driverError?.code ??
    (exception as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function reason(statusCode: number): string {
  return STATUS_CODES[statusCode] ?? 'Error';
}

/** Fastify's own errors (body parsing, limits) reach filters as themselves or wrapped by Nest as the cause of an HttpException. */
function fastifyMessageOf(exception: unknown): string | undefined {
  for (const error of [exception, (exception as { cause?: unknown } | null)?.cause]) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && Object.hasOwn(FASTIFY_ERRORS, code)) return FASTIFY_ERRORS[code];
  }
  return undefined;
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
