import { ConfigModule } from '@nestjs/config';
import type { DynamicModule } from '@nestjs/common';
import { appConfig } from './app.config.js';
import { authConfig } from './auth.config.js';
import { ConfigError } from './config-error.js';
import { databaseConfig } from './database.config.js';
import { loggingConfig } from './logging.config.js';
import { mailConfig } from './mail.config.js';
import { identityProvidersConfig } from './identity-providers.config.js';
import { mfaConfig } from './mfa.config.js';
import { metricsConfig } from './metrics.config.js';
import { oauthConfig } from './oauth.config.js';
import { rateLimitConfig } from './rate-limit.config.js';
import { retentionConfig } from './retention.config.js';

/** Every configuration namespace: what the ConfigModule loads and what is checked before start. */
export const CONFIG_NAMESPACES = [
  appConfig,
  databaseConfig,
  authConfig,
  mailConfig,
  rateLimitConfig,
  oauthConfig,
  loggingConfig,
  metricsConfig,
  retentionConfig,
  mfaConfig,
  identityProvidersConfig,
];

/** The ConfigModule of every process (the app, the keys command): every namespace, global. */
export function rootConfigModule(): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    cache: true,
    load: CONFIG_NAMESPACES,
    // Tests set their environment explicitly; a developer's .env must not leak into them.
    ignoreEnvFile: process.env.NODE_ENV === 'test',
  });
}

/**
 * Reads every namespace once before the app is built and throws one `ConfigError` listing every
 * problem of every namespace, so a bad environment is fixed in one round, not one start per variable.
 */
export function validateConfig(): void {
  const problems: string[] = [];
  for (const namespace of CONFIG_NAMESPACES) {
    try {
      namespace();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
