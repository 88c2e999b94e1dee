import { Logger } from '@nestjs/common';
import { createResourceServer } from './resource-server.js';
import { jwksUri, optionsFromEnv, type ResourceServerEnv } from './resource-server.options.js';

let options: ResourceServerEnv;
try {
  options = optionsFromEnv();
} catch (error) {
  new Logger('Config').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

const app = await createResourceServer(options);
app.enableShutdownHooks();
await app.listen(options.port, options.host);
new Logger('Main').log(`Listening on http://${options.host}:${options.port}; trusting the keys at ${jwksUri(options.authUrl)}`);
