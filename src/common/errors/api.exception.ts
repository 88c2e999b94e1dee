import { HttpException } from '@nestjs/common';
import { defaultCode, ERROR_CODES, isErrorCode, type ErrorCode } from './error-codes.js';

/**
 * An expected error with its stable code; the status comes from the code's entry in ERROR_CODES.
 * `throw new ApiException('session_ended', 'Session has ended')`.
 */
export class ApiException extends HttpException {
  constructor(
    readonly code: ErrorCode,
    message: string | string[],
  ) {
    super({ code, message }, ERROR_CODES[code].status);
  }
}

/**
 * The code an HTTP exception's answer carries: the one its thrower named, else a list of problems is
 * `validation_failed`, else the status's own code.
 */
export function errorCodeOf(exception: HttpException): ErrorCode {
  if (exception instanceof ApiException) return exception.code;
  const response = exception.getResponse() as { code?: unknown; message?: unknown } | string;
  if (typeof response === 'object' && isErrorCode(response.code)) return response.code;
  const statusCode = exception.getStatus();
  return statusCode === 400 && typeof response === 'object' && Array.isArray(response.message)
    ? 'validation_failed'
    : defaultCode(statusCode);
}
