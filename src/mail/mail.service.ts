import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { mailConfig, type MailConfig } from '../config/mail.config.js';
import { maskEmail } from '../common/logging/mask.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MAIL_TRANSPORT, type MailMessage, type MailTransport } from './mail-message.js';

/** Waits before each retry of a failed send. */
const RETRY_DELAYS_MS = [1_000, 5_000, 15_000];

/**
 * Sends mail in the background: the request that asked for it answers at once and the same way
 * whether delivery works or not. A failed send is logged and retried; shutdown waits for pending ones.
 */
@Injectable()
export class MailService implements OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(MAIL_TRANSPORT) private readonly transport: MailTransport,
    @Inject(mailConfig.KEY) private readonly config: MailConfig,
    private readonly metrics: MetricsService,
  ) {}

  send(message: MailMessage): void {
    const delivery = this.deliver(message).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Resolves once every mail handed over so far is delivered or given up. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settle();
  }

  private async deliver(message: MailMessage): Promise<void> {
    const label = `"${message.subject}" to ${maskEmail(message.to)}`;
    for (let attempt = 0; ; attempt++) {
      try {
        const receipt = await this.transport.deliver({ ...message, from: this.config.from });
        this.logger.log(`Mail ${label} delivered (${this.transport.name}: ${receipt})`);
        this.metrics.countMail('sent');
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.metrics.countMail(attempt >= RETRY_DELAYS_MS.length ? 'failed' : 'retried');
        if (attempt >= RETRY_DELAYS_MS.length) {
          this.logger.error(`Mail ${label} failed after ${attempt + 1} attempts: ${reason}`);
          return;
        }
        this.logger.warn(`Mail ${label} failed (attempt ${attempt + 1}), retrying: ${reason}`);
        await sleep(RETRY_DELAYS_MS[attempt]);
      }
    }
  }
}
