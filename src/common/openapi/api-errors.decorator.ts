import { ApiExtension } from '@nestjs/swagger';
import type { ErrorCode } from '../errors/error-codes.js';

export const ERROR_CODES_EXTENSION = 'x-error-codes';

/**
 * The error codes a route answers beyond those every route of its kind can (401s of a bearer route,
 * validation of a body, limits, outages): the OpenAPI document lists them under their statuses.
 */
export const ApiErrors = (...codes: ErrorCode[]): MethodDecorator =>
  ApiExtension(ERROR_CODES_EXTENSION, codes) as MethodDecorator;
