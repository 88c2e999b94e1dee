import type { Logger } from '@nestjs/common';

/** How often a lost dependency is asked again whether it answers. */
const PROBE_INTERVAL_MS = 1000;

export interface OutageMessages {
  lost: (reason: string) => string;
  back: string;
}

/**
 * The state of one dependency as the log tells it: one line when it is lost, one when it is back.
 * Once lost, it is probed in the background, one probe at a time (a hung dependency must not pile
 * probes up on the connections requests need), until a probe succeeds.
 */
export class OutageMonitor {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly logger: Logger,
    private readonly probe: () => Promise<unknown>,
    private readonly messages: OutageMessages,
  ) {}

  get down(): boolean {
    return this.timer !== undefined;
  }

  lost(reason: string): void {
    if (this.down) return;
    this.logger.warn(this.messages.lost(reason));
    this.timer = setInterval(() => void this.tryAgain(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tryAgain(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await this.probe();
    } catch {
      return;
    } finally {
      this.probing = false;
    }
    if (!this.down) return;
    this.stop();
    this.logger.log(this.messages.back);
  }
}
