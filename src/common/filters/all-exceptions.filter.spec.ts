import { ArgumentsHost, BadRequestException, ConflictException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DatabaseStatus } from '../database/database-status.js';
import { ApiException } from '../errors/api.exception.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';

interface Sent {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

function capture(exception: unknown, filter = new AllExceptionsFilter()): Sent {
  const sent: Sent = { status: 0, body: {}, headers: {} };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    send(body: Record<string, unknown>) {
      sent.body = body;
      return reply;
    },
  };
  const request = { id: 'req-1', method: 'GET', url: '/x', routeOptions: { url: '/x' } };
  const host = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  return sent;
}

describe(AllExceptionsFilter.name, () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('should keep the message of an HTTP exception in the common shape', () => {
    expect(capture(new ConflictException('Email is already registered'))).toMatchObject({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', code: 'conflict', message: 'Email is already registered' },
    });
    expect(capture(new NotFoundException()).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'not_found',
      message: 'Not Found',
    });
  });

  it('should send the code an ApiException names, with the status of that code', () => {
    expect(capture(new ApiException('email_taken', 'Email is already registered'))).toMatchObject({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', code: 'email_taken', message: 'Email is already registered' },
    });
  });

  it('should call a list of problems validation_failed and a single bad-request message bad_request', () => {
    expect(capture(new BadRequestException(['email must be an email'])).body.code).toBe('validation_failed');
    expect(capture(new BadRequestException('Malformed')).body.code).toBe('bad_request');
  });

  it('should challenge every 401 with the Bearer scheme, and say invalid_token only for a rejected access token', () => {
    expect(capture(new ApiException('token_missing', 'Send a token')).headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(
      capture(new ApiException('invalid_credentials', 'Invalid email, username or password')).headers['www-authenticate'],
    ).toBe('Bearer realm="api"');
    expect(capture(new ApiException('token_expired', 'Access token has "expired"')).headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="Access token has \'expired\'"',
    );
    expect(capture(new ConflictException()).headers['www-authenticate']).toBeUndefined();
  });

  it('should challenge a refused introspection client with the Basic scheme', () => {
    const sent = capture(new ApiException('client_unauthorized', 'Unknown client or wrong secret'));

    expect(sent.status).toBe(401);
    expect(sent.headers['www-authenticate']).toBe('Basic realm="introspection"');
  });

  it('should hide an unexpected error behind a bare 500 with a request id, and log it', () => {
    const log = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

    const sent = capture(new Error('relation "users" does not exist at SELECT * FROM users'));

    expect(sent).toEqual({
      status: 500,
      body: {
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'internal_error',
        message: 'Internal server error',
        requestId: 'req-1',
      },
      headers: { 'cache-control': 'no-store' },
    });
    expect(log).toHaveBeenCalledOnce();
  });

  it('should answer 503 when the database cannot be reached, and tell the database status rather than log each request', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unreachable = vi.fn();
    const filter = new AllExceptionsFilter({ unreachable } as unknown as DatabaseStatus);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

    expect(capture(refused, filter)).toMatchObject({ status: 503, body: { code: 'service_unavailable' } });
    expect(capture(new Error('timeout exceeded when trying to connect'), filter).status).toBe(503);
    expect(unreachable).toHaveBeenCalledTimes(2);
    expect(unreachable).toHaveBeenCalledWith(refused);
    expect(warn).not.toHaveBeenCalled();
  });

  it('should answer 409 when Postgres gave up on a deadlock or serialization failure', () => {
    expect(capture(Object.assign(new Error('deadlock detected'), { driverError: { code: '40P01' } })).body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'conflict',
      message: 'A concurrent change got in the way; try again',
    });
  });

  it('should pass on the status of Fastify body errors with a plain message', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });

    expect(capture(tooLarge).body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'payload_too_large',
      message: 'Request body is too large',
    });
  });

  it('should read a Fastify error that Nest wrapped in an HttpException', () => {
    const mediaType = Object.assign(new Error('Unsupported Media Type'), {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      statusCode: 415,
    });
    const wrapped = new HttpException('Unsupported Media Type', 415, { cause: mediaType });

    expect(capture(wrapped).body).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      code: 'unsupported_media_type',
      message: 'Unsupported Content-Type: send the body as JSON, with Content-Type: application/json',
    });
  });
});
