/**
 * `npm run keys -- <command>` (in the Docker image: `node dist/keys.js <command>`): the signing keys
 * on DATABASE_URL, or on the embedded database under DATA_DIR when it is unset (stop the service
 * first: an embedded data folder has one user at a time). Running instances pick a change up within
 * JWKS_MAX_AGE / 2 (at most a minute), or at once on Postgres.
 *
 *   list                      the keys in use
 *   rotate [--now]            make the next key: published now, signing JWKS_MAX_AGE from now (or at once)
 *   import <file.pem> [--now] the same with an operator's own EC P-256 or RSA private key
 *   revoke <kid>              emergency: the key's tokens are refused from now on; a new key signs at once
 */
import 'reflect-metadata';
import { Logger, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { rootConfigModule, validateConfig } from './config/validate-config.js';
import { appConfig } from './config/app.config.js';
import { databaseConfig } from './config/database.config.js';
import { DatabaseModule } from './database/database.module.js';
import { DataDirInUseError, EmbeddedPostgres } from './database/embedded-postgres.js';
import { SigningKeysModule } from './signing-keys/signing-keys.module.js';
import { SigningKeysService, type KeyChangeActor, type KeyView } from './signing-keys/signing-keys.service.js';

@Module({
  imports: [rootConfigModule(), DatabaseModule, SigningKeysModule.forCommand()],
})
class KeysCommandModule {}

const USAGE = 'usage: keys list | rotate [--now] | import <file.pem> [--now] | revoke <kid>';
const CLI: KeyChangeActor = { userId: null, channel: 'cli' };
const logger = new Logger('Keys');
const print = (line: string) => process.stdout.write(`${line}\n`);
const [command, ...args] = process.argv.slice(2);
const now = args.includes('--now');
const operand = args.find((arg) => arg !== '--now');

if (!['list', 'rotate', 'import', 'revoke'].includes(command) || ((command === 'import' || command === 'revoke') && !operand)) {
  logger.error(USAGE);
  process.exit(2);
}
try {
  validateConfig();
} catch (error) {
  logger.error((error as Error).message);
  process.exit(1);
}
if (!databaseConfig().url && (await EmbeddedPostgres.isInUse(appConfig().dataDir))) {
  logger.error(new DataDirInUseError(appConfig().dataDir).message);
  process.exit(1);
}

const describe = (keys: SigningKeysService, key: KeyView) =>
  `${key.kid}  ${key.algorithm}  ${key.state.padEnd(8)}  signs from ${key.signsFrom.toISOString()}  ${key.source}` +
  (key.published ? '' : '  (not published)') +
  (keys.canOpen(key.kid) ? '' : '  (sealed under another JWT_SECRET)');
let exitCode = 0;
let context: INestApplicationContext | undefined;
try {
  context = await NestFactory.createApplicationContext(KeysCommandModule, { logger: ['warn', 'error'] });
  const keys = context.get(SigningKeysService);
  const show = (key: KeyView) => describe(keys, key);
  // The deployment's algorithm is the signing key's, whatever JWT_ALGORITHM this shell has.
  const algorithm = keys.list().find((key) => key.state === 'signing')?.algorithm;
  if (command === 'rotate') print('new: ' + show(await keys.rotate(CLI, { immediately: now, algorithm })));
  if (command === 'import')
    print('new: ' + show(await keys.rotate(CLI, { immediately: now, pem: readFileSync(operand!, 'utf8') })));
  if (command === 'revoke') {
    await keys.revoke(operand!, CLI);
    print(`revoked ${operand}`);
  }
  keys.list().forEach((key) => print(show(key)));
} catch (error) {
  logger.error((error as Error).message);
  exitCode = 1;
} finally {
  await context?.close();
}
process.exit(exitCode);
