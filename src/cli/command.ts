import type { INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Operator } from '../common/request/operator.js';
import type { ArgumentSpec, ParsedArguments } from './arguments.js';
import type { InputStream } from './prompt.js';

interface BaseContext {
  args: ParsedArguments;
  /** One line of the command's answer, on stdout. */
  print: (line: string) => void;
}

/** What a command on the services runs with. */
export interface CommandContext extends BaseContext {
  /** The services (CliModule), built for this run and closed after it. */
  app: INestApplicationContext;
  operator: Operator;
  stdin: InputStream;
}

/** What a command on the bare database runs with (no services: it must work on a schema that is behind). */
export interface DatabaseCommandContext extends BaseContext {
  dataSource: DataSource;
}

interface BaseCommand {
  name: string;
  /** `<email> [--name <name>]`, as --help shows it. */
  usage: string;
  summary: string;
  /** The audit event it writes; none for a command that only reads. */
  audits?: string;
  args: ArgumentSpec;
}

export type Command =
  | (BaseCommand & { needs: 'services'; run(context: CommandContext): Promise<void> })
  | (BaseCommand & { needs: 'database'; run(context: DatabaseCommandContext): Promise<void> });
