import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ErrorBody } from '../common/filters/all-exceptions.filter.js';
import { ShutdownState } from './shutdown-state.js';

export interface GracefulShutdownOptions {
  /** From the signal to the exit, finished or not (SHUTDOWN_GRACE). */
  graceMs: number;
  /** From the signal to closing the listener, while readiness fails (SHUTDOWN_DELAY). */
  delayMs: number;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

const REFUSED: ErrorBody = {
  statusCode: 503,
  error: 'Service Unavailable',
  code: 'shutting_down',
  message: 'Shutting down: this instance takes no new requests',
};

/**
 * On SIGTERM or SIGINT: readiness fails at once; after SHUTDOWN_DELAY the listener closes and the
 * requests in flight finish; then the app closes (database, Redis, workers) and the process exits 0.
 * Past SHUTDOWN_GRACE it exits 1 whatever is still running. Each step is logged.
 */
export class GracefulShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly state: ShutdownState;
  private step = 'starting';

  /** Call before `listen()`: it adds the HTTP hooks of the shutdown. */
  constructor(
    private readonly app: NestFastifyApplication,
    private readonly options: GracefulShutdownOptions,
  ) {
    this.state = app.get(ShutdownState);
    const fastify = app.getHttpAdapter().getInstance();
    // Only a request that was not yet complete when the listener closed (or one pipelined behind another)
    // gets here: answered, not reset, and not run, so the client can safely send it elsewhere.
    fastify.addHook('onRequest', (_request, reply, done) => {
      if (!this.state.draining) return done();
      void reply.code(503).header('connection', 'close').send(REFUSED);
    });
    // Every answer from the signal on closes its connection, so kept-alive clients reconnect (elsewhere).
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (this.state.stopping) void reply.header('connection', 'close');
      done(null, payload);
    });
  }

  /** Starts the shutdown on the first SIGTERM or SIGINT; a second signal is logged and changes nothing. */
  listen(): this {
    for (const signal of SIGNALS) process.on(signal, () => this.onSignal(signal));
    return this;
  }

  private onSignal(signal: Signal): void {
    if (this.state.stopping) {
      // A terminal sends Ctrl-C to its whole process group and npm passes it on: one keypress can arrive twice.
      this.logger.warn(`${signal} received again: the shutdown goes on (SHUTDOWN_GRACE bounds it)`);
      return;
    }
    const started = Date.now();
    this.state.stop();
    this.logger.log(`Shutdown begun (${signal}): readiness now answers 503 shutting_down`);
    // Kept referenced: even a shutdown stuck on something that holds no handle ends here.
    setTimeout(() => {
      this.logger.error(
        `Shutdown did not finish within ${this.options.graceMs / 1000} s (SHUTDOWN_GRACE) while ${this.step}; exiting with code 1`,
      );
      process.exit(1);
    }, this.options.graceMs);
    this.run().then(
      () => {
        this.logger.log(`Shutdown complete in ${Date.now() - started} ms`);
        process.exit(0);
      },
      (error: unknown) => {
        this.logger.error(`Shutdown failed while ${this.step}`, error instanceof Error ? error.stack : String(error));
        process.exit(1);
      },
    );
  }

  private async run(): Promise<void> {
    if (this.options.delayMs > 0) {
      this.step = 'waiting out SHUTDOWN_DELAY';
      this.logger.log(`Waiting ${this.options.delayMs / 1000} s (SHUTDOWN_DELAY) for load balancers to stop sending requests`);
      await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
    }
    this.step = 'waiting for the requests in flight';
    const server = this.app.getHttpServer();
    this.state.drain();
    // Node closes the idle kept-alive connections too; the busy ones close after their answer (Connection: close).
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.logger.log('Listener closed; waiting for the requests in flight');
    await closed;
    this.logger.log('Requests in flight finished');
    this.step = 'closing the app (database, Redis, workers)';
    this.logger.log('Closing the app: database, Redis, workers');
    await this.app.close();
  }
}
