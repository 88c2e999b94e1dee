import type { LevelWithSilent } from 'pino';
import { createLogger } from '../../src/app.setup.js';
import type { AppLogger } from '../../src/common/logging/app-logger.js';

export type LogLine = Record<string, unknown> & { level: string; msg: string; time: string; reqId?: string };

export interface CapturedLogs {
  /** For `startTestApp({ logger })`: JSON lines, kept in memory instead of printed. */
  logger: AppLogger;
  lines(): LogLine[];
  /** Everything written, as written. */
  text(): string;
}

export function captureLogs(level: LevelWithSilent = 'info'): CapturedLogs {
  const written: string[] = [];
  const logger = createLogger({ level, format: 'json', destination: { write: (line: string) => void written.push(line) } });
  return {
    logger,
    lines: () => written.map((line) => JSON.parse(line) as LogLine),
    text: () => written.join(''),
  };
}
