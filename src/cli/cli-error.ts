import { HttpException } from '@nestjs/common';

/** Exit codes: 1 the command failed, 2 it was called wrongly (usage). */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A failure the command line reports as one line on stderr, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
    this.name = CliError.name;
  }
}

/** Driver error codes of a database (or Redis) that cannot be reached. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  '57P03',
  '3D000',
  '28P01',
]);

/**
 * One line for any error: the message an API client would read for an expected error (its list of
 * problems joined), the driver's message for a database that cannot be reached; never a stack.
 */
export function describeError(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message = typeof response === 'object' && 'message' in response ? response.message : response;
    return oneLine(Array.isArray(message) ? message.join('; ') : String(message));
  }
  if (!(error instanceof Error)) return oneLine(String(error));
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code))
    return oneLine(`cannot use the database (${error.message || code}): check DATABASE_URL and that the server is up`);
  if (/Connection terminated|timeout exceeded when trying to connect/i.test(error.message))
    return oneLine(`cannot use the database (${error.message}): check DATABASE_URL and that the server is up`);
  return oneLine(error.message || error.name);
}

/** Lines of a multi-line message (a configuration report) joined, so stderr gets exactly one. */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}
