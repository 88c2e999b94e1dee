import { appConfig } from './app.config.js';
import { authConfig } from './auth.config.js';
import { databaseConfig } from './database.config.js';
import { mailConfig } from './mail.config.js';
import { rateLimitConfig } from './rate-limit.config.js';

/** Every configuration namespace: what the ConfigModule loads and what is checked before start. */
export const CONFIG_NAMESPACES = [appConfig, databaseConfig, authConfig, mailConfig, rateLimitConfig];

/** Reads every namespace once before the app is built, so a bad value stops the start with one clear message. */
export function validateConfig(): void {
  for (const namespace of CONFIG_NAMESPACES) namespace();
}
