import { ArgumentsHost, ConflictException, Logger, NotFoundException } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AllExceptionsFilter } from './all-exceptions.filter.js';

function capture(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header() {
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const request = { id: 'req-1', method: 'GET', url: '/x', routeOptions: { url: '/x' } };
  const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(exception, host);
  return sent;
}

describe(AllExceptionsFilter.name, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('should keep the message of an HTTP exception in the common shape', () => {
    expect(capture(new ConflictException('Email is already registered'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'Email is already registered' },
    });
    expect(capture(new NotFoundException()).body).toEqual({ statusCode: 404, error: 'Not Found', message: 'Not Found' });
  });

  it('should hide an unexpected error behind a bare 500 with a request id, and log it', () => {
    const log = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

    const sent = capture(new Error('relation "users" does not exist at SELECT * FROM users'));

    expect(sent).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error', requestId: 'req-1' },
    });
    expect(log).toHaveBeenCalledOnce();
  });

  it('should answer 503 when the database cannot be reached', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    expect(capture(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })).status).toBe(503);
    expect(capture(new Error('timeout exceeded when trying to connect')).status).toBe(503);
  });

  it('should answer 409 when Postgres gave up on a deadlock or serialization failure', () => {
    expect(capture(Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } })).body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'A concurrent change got in the way; try again',
    });
  });

  it('should pass on the status of Fastify body errors with a plain message', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });

    expect(capture(tooLarge).body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large' });
  });
});
