import { ConfigType, registerAs } from '@nestjs/config';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { readEnv } from './env.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

class LoggingEnv {
  /** Read for the default format only; the app namespace validates it. */
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevelName = 'info';

  @IsOptional()
  @IsIn(LOG_FORMATS, { message: `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT?: LogFormat;
}

export const loggingConfig = registerAs('logging', () => {
  const env = readEnv(LoggingEnv);
  return {
    level: env.LOG_LEVEL,
    /** JSON lines for a log collector in production; one readable line per entry elsewhere. */
    format: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty'),
  };
});

export type LoggingConfig = ConfigType<typeof loggingConfig>;
