import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp, createLogger } from './app.setup.js';
import { appConfig, type AppConfig } from './config/app.config.js';
import { databaseConfig } from './config/database.config.js';
import { validateConfig } from './config/validate-config.js';
import { DataDirInUseError, EmbeddedPostgres } from './database/embedded-postgres.js';
import { GracefulShutdown } from './health/graceful-shutdown.js';

// First, so that even a configuration error is written in the configured format.
const logger = createLogger();
Logger.overrideLogger(logger);

try {
  validateConfig();
} catch (error) {
  new Logger('Config').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

// Checked before Nest builds the app: a failure inside it is printed as a stack, twice.
const { dataDir } = appConfig();
if (!databaseConfig().url && (await EmbeddedPostgres.isInUse(dataDir))) {
  new Logger('Database').error(new DataDirInUseError(dataDir).message);
  process.exit(1);
}

const app = await createApp({ logger });
const { host, port, shutdownGraceMs, shutdownDelayMs, docsEnabled } = app.get<AppConfig>(appConfig.KEY);
new GracefulShutdown(app, { graceMs: shutdownGraceMs, delayMs: shutdownDelayMs }).listen();
await app.listen(port, host);
new Logger('Main').log(
  `Listening on http://${host}:${port}: API at /api/v1${docsEnabled ? ', docs at /docs' : ''}, health at /health/live and /health/ready`,
);
