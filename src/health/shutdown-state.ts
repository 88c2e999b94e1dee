import { Injectable } from '@nestjs/common';

/**
 * Where this instance is in its shutdown. `stopping`: readiness fails, requests are still served;
 * `draining`: the listener is closed and a request that still arrives is refused.
 */
@Injectable()
export class ShutdownState {
  private phase: 'serving' | 'stopping' | 'draining' = 'serving';

  get stopping(): boolean {
    return this.phase !== 'serving';
  }

  get draining(): boolean {
    return this.phase === 'draining';
  }

  stop(): void {
    if (this.phase === 'serving') this.phase = 'stopping';
  }

  drain(): void {
    this.phase = 'draining';
  }
}
