import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller may send as its request id; anything else is replaced, so a log line cannot be forged through it. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's X-Request-Id when well-formed (a proxy's or a client's), else a new one. */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && WELL_FORMED.test(sent) ? sent : randomUUID();
}

interface RequestContext {
  reqId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `work` (and everything it starts) as part of the request, so that its log lines carry the request id. */
export function runInRequest(reqId: string, work: () => void): void {
  storage.run({ reqId }, work);
}

/** The id of the request being served, or undefined outside one (start-up, timers). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.reqId;
}
