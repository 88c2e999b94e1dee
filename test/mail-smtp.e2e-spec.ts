import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, uniqueEmail } from './support/factories.js';
import { startTestApp, TEST_APP_URL, type TestApp } from './support/test-app.js';

interface Received {
  to: string[];
  raw: string;
}

/** An SMTP server in the test process that keeps what it receives. */
async function startSmtp(port = 0): Promise<{ server: SMTPServer; port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.server.address();
  return { server, port: typeof address === 'object' && address ? address.port : port, received };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Undoes quoted-printable soft breaks and escapes, so links can be read from the raw message. */
function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('mail over SMTP (e2e)', () => {
  let test: TestApp | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;

  afterEach(async () => {
    await test?.close();
    await new Promise((resolve) => (smtp ? smtp.server.close(() => resolve(undefined)) : resolve(undefined)));
    test = undefined;
    smtp = undefined;
  });

  it('should deliver the verification mail through SMTP_URL, with a link that works', async () => {
    smtp = await startSmtp();
    test = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'Auth <auth@app.test>' } });
    const email = uniqueEmail('smtp');

    await test.http.post('/api/v1/auth/register').send({ email, password: PASSWORD }).expect(201);

    await expect.poll(() => smtp!.received.length, { timeout: 10_000 }).toBe(1);
    const [mail] = smtp.received;
    expect(mail.to).toEqual([email]);
    const body = decodeQuotedPrintable(mail.raw);
    expect(body).toMatch(/^Subject: Verify your email address/m);
    expect(body).toMatch(/^From: Auth <auth@app\.test>/m);
    expect(body).toMatch(/Content-Type: text\/html/);
    const token = new RegExp(`${TEST_APP_URL}/verify-email\\?token=([A-Za-z0-9_-]{43})`).exec(body)?.[1];
    expect(token).toBeDefined();
    await test.http.post('/api/v1/auth/email/verify').send({ token }).expect(204);
  });

  it('should answer at once when the SMTP server is down, and deliver once it is back', async () => {
    const port = await freePort();
    test = await startTestApp({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
    const email = uniqueEmail('retry');

    const registered = await test.http.post('/api/v1/auth/register').send({ email, password: PASSWORD });
    expect(registered.status).toBe(201);

    smtp = await startSmtp(port);
    await expect.poll(() => smtp!.received.length, { timeout: 15_000, interval: 200 }).toBe(1);
    expect(smtp.received[0].to).toEqual([email]);
  });
});
