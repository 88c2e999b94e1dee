/**
 * The admin command line: `npm run cli -- <command>` (after `npm run build`), or in the Docker image
 * `node dist/cli.js <command>`. `--help` lists the commands; src/cli/ holds them.
 */
import 'reflect-metadata';
import { runCli } from './cli/run-cli.js';

// Exit now: a Redis client reconnecting or a worker pool closing must not keep a finished command alive.
process.exit(await runCli(process.argv.slice(2)));
