import type { LoggerService } from '@nestjs/common';
import { pino, stdTimeFunctions, type DestinationStream, type Level, type LevelWithSilent, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import { censor, REDACT_PATHS, scrub } from './mask.js';
import { currentRequestId } from './request-context.js';

export interface LoggingOptions {
  level: LevelWithSilent;
  format: 'json' | 'pretty';
  /** Where lines go; stdout by default. Tests pass a stream to read them. */
  destination?: DestinationStream;
}

/** Nest's start-up chatter (a line per module and per route): worth seeing only when debugging. */
const CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * The process's one logger: pino underneath (JSON lines, or pino-pretty text), and Nest's
 * `LoggerService` on top, so every `new Logger(context)` of the codebase writes through it. A line
 * written while a request is served carries that request's `reqId`.
 */
export class AppLogger implements LoggerService {
  readonly pino: Pino;
  /**
   * The request lines: the same output without `redact`, which costs about a third of a cached
   * `/auth/me`'s throughput when run on every request. Their fields are fixed and hold no secret
   * (request id, method, route pattern, status, duration, user id).
   */
  readonly requests: Pino;

  constructor(options: LoggingOptions) {
    const format = {
      level: options.level,
      base: undefined,
      // The pretty printer formats time and level itself, from pino's numbers.
      ...(options.format === 'json' && {
        timestamp: stdTimeFunctions.isoTime,
        formatters: { level: (label: string) => ({ level: label }) },
      }),
    };
    const destination =
      options.format === 'json'
        ? (options.destination ?? pino.destination({ dest: 1, sync: true }))
        : prettyStream(options.destination);
    this.pino = pino({ ...format, redact: { paths: REDACT_PATHS, censor } }, destination);
    this.requests = pino(format, destination);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest passes `(message, ...params, context)`; `error` has the stack as its first param. A message
   * may be an object of fields (its `msg` is the message) or an Error.
   */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const context = params.length > 0 && typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    const effective = level === 'info' && context && CHATTER.has(context) ? 'debug' : level;
    if (!this.pino.isLevelEnabled(effective)) return;
    const fields: Record<string, unknown> = { context, reqId: currentRequestId() };
    const extra = context === undefined ? params : params.slice(0, -1);
    if (level === 'error' && typeof extra[0] === 'string') fields.stack = scrub(extra[0]);
    let text: string;
    if (message instanceof Error) {
      text = message.message;
      fields.stack ??= scrub(message.stack ?? '');
    } else if (typeof message === 'object' && message !== null) {
      const { msg, ...rest } = message as Record<string, unknown>;
      Object.assign(fields, rest);
      text = typeof msg === 'string' ? msg : '';
    } else {
      text = String(message);
    }
    this.pino[effective](fields, scrub(text));
  }
}

/** One line per entry; colours only on a terminal (a file or a pipe gets no ANSI codes). */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  return pretty({
    destination: destination ?? 1,
    colorize: !destination && process.stdout.isTTY === true,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'context',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}
