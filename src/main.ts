import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup.js';
import { appConfig, type AppConfig } from './config/app.config.js';
import { validateConfig } from './config/validate-config.js';

try {
  validateConfig();
} catch (error) {
  new Logger('Config').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

const app = await createApp();
app.enableShutdownHooks();
const { host, port } = app.get<AppConfig>(appConfig.KEY);
await app.listen(port, host);
new Logger('Main').log(`Listening on http://${host}:${port}: API at /api/v1, docs at /docs, health at /health`);
