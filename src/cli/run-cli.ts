import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { appConfig } from '../config/app.config.js';
import { databaseConfig } from '../config/database.config.js';
import { validateConfig } from '../config/validate-config.js';
import { DataDirInUseError, EmbeddedPostgres } from '../database/embedded-postgres.js';
import { typeOrmOptions } from '../database/typeorm-options.js';
import { parseArguments, type ParsedArguments } from './arguments.js';
import { CliError, describeError, EXIT_USAGE } from './cli-error.js';
import { CliModule } from './cli.module.js';
import { clientCommands } from './clients.commands.js';
import type { Command } from './command.js';
import { keyCommands } from './keys.commands.js';
import { migrationCommands } from './migrations.commands.js';
import { currentOperator } from './operator.js';
import type { InputStream } from './prompt.js';
import { retentionCommands } from './retention.commands.js';
import { userCommands } from './users.commands.js';

/** A database or Redis that hangs must not hold the exit once the command is done. */
const CLOSE_TIMEOUT_MS = 5000;

/** Every command. */
export const COMMANDS: Command[] = [
  ...userCommands,
  ...keyCommands,
  ...clientCommands,
  ...retentionCommands,
  ...migrationCommands,
];

/** Where a run reads and writes: the process's own streams, or a test's. */
export interface CliStreams {
  out: (line: string) => void;
  err: (line: string) => void;
  stdin: InputStream;
}

const processStreams: CliStreams = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  stdin: process.stdin,
};

function help(): string {
  return [
    'Usage: npm run cli -- <command> [arguments]   (Docker image: node dist/cli.js <command> [arguments])',
    '',
    'Commands:',
    ...COMMANDS.flatMap((command) => [
      `  ${`${command.name} ${command.usage}`.trim()}`,
      `      ${command.summary}${command.audits ? ` [audit: ${command.audits}]` : ''}`,
    ]),
    '',
    'A user is named by email or id. Each change is written to the audit log with detail',
    '{channel: "cli", operator: <OS user>}. The commands work on DATABASE_URL, or on the embedded',
    'database under DATA_DIR when it is unset (stop the service first: one process at a time), and',
    'refuse to run while migrations are pending (but migrations:status). Exit status: 0 done,',
    '1 failed, 2 called wrongly; a failure is one line on stderr.',
  ].join('\n');
}

/** Runs one command line; answers the exit status. Never throws, never exits the process. */
export async function runCli(argv: string[], output: CliStreams = processStreams): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? output.err : output.out)(help());
    return name === undefined ? EXIT_USAGE : 0;
  }
  try {
    const command = COMMANDS.find((candidate) => candidate.name === name);
    if (!command) throw new CliError(`unknown command ${name} (see --help)`, EXIT_USAGE);
    if (rest.includes('--help') || rest.includes('-h')) {
      output.out(`Usage: ${`${command.name} ${command.usage}`.trim()}\n  ${command.summary}`);
      return 0;
    }
    const args = parseArguments(command.name, rest, command.args);
    validateConfig();
    const { dataDir } = appConfig();
    if (!databaseConfig().url && (await EmbeddedPostgres.isInUse(dataDir))) throw new DataDirInUseError(dataDir);
    await run(command, args, output);
    return 0;
  } catch (error) {
    output.err(`error: ${describeError(error)}`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

async function run(command: Command, args: ParsedArguments, output: CliStreams): Promise<void> {
  const print = output.out;
  if (command.needs === 'database') {
    const url = databaseConfig().url;
    const embedded = url ? undefined : await EmbeddedPostgres.start(appConfig().dataDir);
    const dataSource = new DataSource(typeOrmOptions(embedded?.connection ?? { url: url! }, 1));
    try {
      await dataSource.initialize();
      await command.run({ dataSource, args, print });
    } finally {
      await within(dataSource.isInitialized ? dataSource.destroy() : Promise.resolve());
      await within(embedded?.stop() ?? Promise.resolve());
    }
    return;
  }
  // No logger: the command answers for itself, in one line when it fails (Nest would print stacks).
  const app = await NestFactory.createApplicationContext(CliModule, { logger: false, abortOnError: false });
  try {
    await command.run({ app, operator: currentOperator(), args, print, stdin: output.stdin });
  } finally {
    await within(app.close());
  }
}

async function within(closing: Promise<unknown>): Promise<void> {
  await Promise.race([closing.catch(() => undefined), sleep(CLOSE_TIMEOUT_MS, undefined, { ref: false })]);
}
