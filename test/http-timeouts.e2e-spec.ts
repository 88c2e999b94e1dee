import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/test-app.js';

/** Sends `text` on a raw connection, then nothing; resolves with what came back once the server closed it, or `hung` after `limitMs`. */
function sendThenStall(url: string, text: string, limitMs: number): Promise<{ answer: string; elapsed: number; hung: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let answer = '';
    const finish = (hung: boolean) => {
      clearTimeout(limit);
      socket.destroy();
      resolve({ answer, elapsed: Date.now() - started, hung });
    };
    const limit = setTimeout(() => finish(true), limitMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => finish(false));
    socket.on('error', () => undefined);
  });
}

describe('HTTP timeouts (e2e)', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ env: { HTTP_REQUEST_TIMEOUT: '2', HTTP_HEADERS_TIMEOUT: '1', HTTP_KEEP_ALIVE_TIMEOUT: '1' } });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('should answer 408 in the common shape and close the connection when a body stalls', async () => {
    const head =
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const { answer, elapsed, hung } = await sendThenStall(test.url, `${head}{"email":"`, 10_000);

    expect(hung).toBe(false);
    expect(elapsed).toBeLessThan(6000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toMatch(/\r\ncache-control: no-store\r\n/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      statusCode: 408,
      error: 'Request Timeout',
      code: 'request_timeout',
      message: 'The request was not received in time',
    });
  });

  it('should answer 408 and close the connection when the headers stall', async () => {
    const { answer, elapsed, hung } = await sendThenStall(test.url, 'GET /health HTTP/1.1\r\nHost: localhost\r\n', 10_000);

    expect(hung).toBe(false);
    expect(elapsed).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('should serve a request that arrives in time, then close the idle kept-alive connection', async () => {
    const { answer, elapsed, hung } = await sendThenStall(test.url, 'GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n', 10_000);

    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(hung).toBe(false);
    expect(elapsed).toBeLessThan(5000);
  });
});
