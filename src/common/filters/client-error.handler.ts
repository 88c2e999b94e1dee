import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { defaultCode } from '../errors/error-codes.js';
import type { HeaderSet } from '../http/security-headers.js';
import type { ErrorBody } from './all-exceptions.filter.js';

/**
 * Errors Node's HTTP server raises before Fastify has a request (the request or headers deadline
 * passed, headers too large, bytes that are not HTTP): the common shape and headers, then the
 * connection is closed. Fastify's own answer has no `code`.
 */
export function clientErrorHandler(headers: HeaderSet): (error: NodeJS.ErrnoException, socket: Socket) => void {
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [statusCode, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request was not received in time']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request headers are too large']
          : [400, 'Malformed HTTP request'];
    // As Node does: never write into a response that has begun.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const reason = STATUS_CODES[statusCode] ?? 'Error';
      const body: ErrorBody = { statusCode, error: reason, code: defaultCode(statusCode), message };
      const text = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${statusCode} ${reason}\r\n${head}content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy();
  };
}
