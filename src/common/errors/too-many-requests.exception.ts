import { ApiException } from './api.exception.js';

/** 429 whose wait the error filter also sends as a `Retry-After` header. */
export class TooManyRequestsException extends ApiException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code: 'rate_limited' | 'account_locked' = 'rate_limited',
  ) {
    super(code, message);
  }
}
