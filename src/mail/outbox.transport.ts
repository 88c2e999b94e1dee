import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailMessage, MailTransport } from './mail-message.js';

/** Development and tests: each message becomes a JSON file in DATA_DIR/outbox. */
export class OutboxTransport implements MailTransport {
  readonly name = 'outbox';

  constructor(private readonly directory: string) {}

  async deliver(message: MailMessage & { from: string }): Promise<string> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const createdAt = new Date().toISOString();
    const file = `${createdAt.replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`;
    await writeFile(join(this.directory, file), JSON.stringify({ ...message, createdAt }, null, 2), { mode: 0o600 });
    return join('outbox', file);
  }
}
