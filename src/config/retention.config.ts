import { ConfigType, registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { readEnv, toSeconds } from './env.js';

/** `off` reads as 0, so the schedule is turned off in the words the README uses. */
const offOrSeconds = (input: { obj: Record<string, unknown>; key: string; value: unknown }): unknown =>
  typeof input.obj[input.key] === 'string' && (input.obj[input.key] as string).trim() === 'off' ? 0 : toSeconds(input);

class RetentionEnv {
  /** How long an ended or expired session is kept (for "your sessions", support and incident review); 0 keeps them. */
  @Transform(toSeconds)
  @IsInt({ message: 'SESSION_RETENTION must be a duration such as 30d (0 keeps ended sessions forever)' })
  @Min(0)
  SESSION_RETENTION: number = 30 * 86400;

  /** How long audit events are kept; 0 keeps them forever. */
  @Transform(toSeconds)
  @IsInt({ message: 'AUDIT_RETENTION must be a duration such as 400d (0 keeps audit events forever)' })
  @Min(0)
  AUDIT_RETENTION: number = 400 * 86400;

  /** Time between two purges of this instance; 0 or off turns the schedule off (a purge can still be run by hand). */
  @Transform(offOrSeconds)
  @IsInt({ message: 'PURGE_INTERVAL must be a duration such as 1h, or off' })
  @Min(0)
  @Max(7 * 86400)
  PURGE_INTERVAL: number = 3600;

  /** Rows deleted per statement: each batch is a short transaction of its own. */
  @IsInt({ message: 'PURGE_BATCH_SIZE must be a whole number of rows' })
  @Min(1)
  @Max(100_000)
  PURGE_BATCH_SIZE: number = 1000;
}

export const retentionConfig = registerAs('retention', () => {
  const env = readEnv(RetentionEnv);
  return {
    /** Seconds; 0 means kept forever. */
    sessionRetention: env.SESSION_RETENTION,
    /** Seconds; 0 means kept forever. */
    auditRetention: env.AUDIT_RETENTION,
    /** Milliseconds; 0 means no schedule. */
    purgeIntervalMs: env.PURGE_INTERVAL * 1000,
    batchSize: env.PURGE_BATCH_SIZE,
  };
});

export type RetentionConfig = ConfigType<typeof retentionConfig>;
