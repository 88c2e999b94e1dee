import { appConfig } from './app.config.js';
import { authConfig } from './auth.config.js';
import { databaseConfig } from './database.config.js';
import { mailConfig } from './mail.config.js';
import { rateLimitConfig } from './rate-limit.config.js';

/** Reads every namespace once before the app is built, so a bad value stops the start with one clear message. */
export function validateConfig(): void {
  appConfig();
  databaseConfig();
  authConfig();
  mailConfig();
  rateLimitConfig();
}
