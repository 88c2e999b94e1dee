import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { TEST_APP_URL, type TestApp } from './test-app.js';

export interface SentMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  createdAt: string;
}

async function outbox(test: TestApp): Promise<SentMail[]> {
  const directory = join(test.database.dataDir, 'outbox');
  const files = await readdir(directory).catch(() => [] as string[]);
  const mails = await Promise.all(
    files.sort().map(async (file) => JSON.parse(await readFile(join(directory, file), 'utf8')) as SentMail),
  );
  return mails;
}

/** All mails the app has written to its outbox for this address, oldest first. */
export async function mailsTo(test: TestApp, to: string): Promise<SentMail[]> {
  return (await outbox(test)).filter((mail) => mail.to === to);
}

/** Waits for the `count`-th mail to this address whose subject matches (mail is sent in the background). */
export async function waitForMail(test: TestApp, to: string, subject: RegExp, count = 1): Promise<SentMail> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const matching = (await mailsTo(test, to)).filter((mail) => subject.test(mail.subject));
    if (matching.length >= count) return matching[count - 1];
    await sleep(50);
  }
  throw new Error(`no mail #${count} to ${to} with subject ${String(subject)}`);
}

/** The token of the link to APP_URL + path in a mail, checked to appear in both the text and the HTML. */
export function tokenFrom(mail: SentMail, path: string): string {
  const pattern = new RegExp(`${TEST_APP_URL.replace(/\./g, '\\.')}${path}\\?token=([A-Za-z0-9_-]{43})`);
  const inText = pattern.exec(mail.text)?.[1];
  expect(inText, `link to ${path} in the text of "${mail.subject}"`).toBeDefined();
  expect(mail.html).toContain(`${TEST_APP_URL}${path}?token=${inText}`);
  expect(mail.text).toContain(`code: ${inText}`);
  return inText!;
}
