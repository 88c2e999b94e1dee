import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError } from './config-error.js';

/**
 * Reads one config namespace from the environment: takes each declared variable `X` from `X` or from
 * the file `X_FILE` names, converts the strings to the declared types, validates them, applies the
 * namespace's cross-field `rules`, and throws one `ConfigError` that names every bad variable.
 */
export function readEnv<T extends object>(
  schema: new () => T,
  env: NodeJS.ProcessEnv = process.env,
  rules?: (values: T) => string[],
): T {
  const { values: declared, problems: fileProblems } = withFiles(declaredVariables(schema), env);
  // Nothing is validated when a file could not be read: its one problem says enough.
  if (fileProblems.length > 0) throw new ConfigError(fileProblems);
  // `VAR=` (as compose writes `${VAR:-}`) means unset, so the default applies.
  const set = {
    ...Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')),
    ...declared,
  };
  const values = plainToInstance(schema, set, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(values, { skipMissingProperties: false, forbidUnknownValues: false });
  const problems = [...errors.map(describe), ...(rules?.(values) ?? [])];
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

/**
 * One variable read outside a namespace's schema (a fallback to another namespace's variable), from
 * `X` or `X_FILE` like `readEnv`; undefined when unset or unreadable, which the owning namespace reports.
 */
export function envValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { values, problems } = withFiles([name], env);
  return problems.length > 0 ? undefined : values[name];
}

/** Longest secret file read: a path to a device or a log by mistake must not hang or flood the start. */
export const MAX_FILE_VALUE_BYTES = 64 * 1024;

function declaredVariables(schema: new () => object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(schema, '', true, false);
  return [...new Set(metadata.map(({ propertyName }) => propertyName))];
}

/**
 * The set values of `names`, each from `X` or, when `X_FILE` is set, from that file (Docker and
 * Kubernetes secrets), its trailing line break dropped. `X=` (as compose writes `${X:-}`) means unset.
 * Problems name the variable and the path, never what the file holds.
 */
function withFiles(names: readonly string[], env: NodeJS.ProcessEnv): { values: Record<string, string>; problems: string[] } {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const name of names) {
    const value = env[name];
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '') {
      if (value !== undefined && value !== '') values[name] = value;
    } else if (value !== undefined && value !== '') {
      problems.push(`${name} and ${name}_FILE are both set; set only one`);
    } else {
      const read = readValueFile(path);
      if (typeof read === 'string') values[name] = read;
      else problems.push(`${name}_FILE: cannot read ${path} (${read.reason})`);
    }
  }
  return { values, problems };
}

function readValueFile(path: string): string | { reason: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
  try {
    const buffer = Buffer.alloc(MAX_FILE_VALUE_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      length += read;
      if (read === 0 || length === buffer.length) break;
    }
    if (length > MAX_FILE_VALUE_BYTES) return { reason: `larger than ${MAX_FILE_VALUE_BYTES / 1024} KiB` };
    const text = buffer.toString('utf8', 0, length).replace(/[\r\n]+$/, '');
    return text === '' ? { reason: 'empty' } : text;
  } catch (error) {
    return { reason: (error as NodeJS.ErrnoException).code ?? 'unreadable' };
  } finally {
    closeSync(fd);
  }
}

/** Checks of what a value is: when one fails, the bounds ("must not be greater than…") say nothing true. */
const TYPE_CHECKS = ['isInt', 'isNumber', 'isString', 'isBoolean'];

function describe(error: ValidationError): string {
  const constraints = error.constraints ?? {};
  const typeCheck = TYPE_CHECKS.find((name) => name in constraints);
  const reasons = typeCheck ? constraints[typeCheck] : Object.values(constraints).join('; ');
  return `${error.property}: ${reasons}`;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `900`, `900s`, `15m`, `12h`, `30d` → seconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}

/**
 * For `@Transform`: reads a duration variable from the raw string (implicit conversion would already
 * have turned `15m` into NaN); an unreadable value is left for the validator to name.
 */
export const toSeconds = ({ obj, key, value }: { obj: Record<string, unknown>; key: string; value: unknown }): unknown => {
  const raw = obj[key];
  return typeof raw === 'string' ? (parseDuration(raw) ?? raw) : value;
};

/** Comma-separated list, blanks dropped. */
export function parseList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
