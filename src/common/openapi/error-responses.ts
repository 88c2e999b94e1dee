import type { OpenAPIObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { defaultCode, ERROR_CODES, isErrorCode, type ErrorCode } from '../errors/error-codes.js';
import { ERROR_CODES_EXTENSION } from './api-errors.decorator.js';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const SCHEMA = 'ErrorResponse';
const BEARER_ERRORS: ErrorCode[] = ['token_missing', 'token_invalid', 'token_expired', 'session_ended'];
/** Probes are neither limited nor (for liveness) dependent on anything. */
const UNLIMITED = /^\/health/;
const NO_DEPENDENCY = /^\/health\/live$/;

/**
 * Puts the one error shape on every route: the codes the route declares (`@ApiErrors`), the 401s of
 * every bearer route, validation on every route that takes input, limits and outages, each under
 * its status with an example per code. Built from ERROR_CODES, so the document cannot drift from it.
 */
export function addErrorResponses(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, [SCHEMA]: errorSchema() };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) describeErrors(path, operation, document);
    }
  }
  return document;
}

function describeErrors(path: string, operation: Operation, document: OpenAPIObject): void {
  const extensions = operation as unknown as Record<string, unknown>;
  const declared = extensions[ERROR_CODES_EXTENSION];
  delete extensions[ERROR_CODES_EXTENSION];
  const codes = new Set<ErrorCode>(Array.isArray(declared) ? declared.filter(isErrorCode) : []);
  const security = operation.security ?? document.security ?? [];
  if (security.some((requirement) => 'bearer' in requirement)) BEARER_ERRORS.forEach((code) => codes.add(code));
  if (operation.requestBody)
    ['validation_failed', 'unsupported_media_type', 'payload_too_large'].forEach((code) => codes.add(code as ErrorCode));
  if (operation.parameters?.length) codes.add('validation_failed');
  if (!UNLIMITED.test(path)) codes.add('rate_limited');
  if (!NO_DEPENDENCY.test(path)) codes.add('service_unavailable');
  codes.add('internal_error');

  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CODES[code].status, [...(byStatus.get(ERROR_CODES[code].status) ?? []), code]);
  // Statuses a route documented by hand keep their description and get the shape too.
  for (const status of Object.keys(operation.responses)
    .map(Number)
    .filter((status) => status >= 400 && !byStatus.has(status))) {
    byStatus.set(status, [defaultCode(status)]);
  }
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const existing = operation.responses[status] as { description?: string } | undefined;
    operation.responses[status] = {
      description: existing?.description ?? statusCodes.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join('; '),
      content: {
        'application/json': {
          schema: { $ref: `#/components/schemas/${SCHEMA}` },
          examples: Object.fromEntries(
            statusCodes.map((code) => [code, { summary: ERROR_CODES[code].description, value: example(code) }]),
          ),
        },
      },
    };
  }
}

function example(code: ErrorCode): Record<string, unknown> {
  const { status, description } = ERROR_CODES[code];
  return { statusCode: status, error: STATUS_CODES[status], code, message: description.replace(/`/g, '') };
}

function errorSchema() {
  return {
    type: 'object',
    required: ['statusCode', 'error', 'code', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 401 },
      error: { type: 'string', description: 'The HTTP reason phrase', example: 'Unauthorized' },
      code: {
        type: 'string',
        enum: Object.keys(ERROR_CODES),
        description: `Stable and machine-readable: branch on it, not on the message.\n\n${Object.entries(ERROR_CODES)
          .map(([code, { status, description }]) => `- \`${code}\` (${status}): ${description}`)
          .join('\n')}`,
      },
      message: {
        oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        description: 'For people: a sentence, or one line per validation problem',
      },
      requestId: {
        type: 'string',
        description: "On a 500 (the error's log line carries the same id) and on a request's 503",
      },
    },
  };
}
