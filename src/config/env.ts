import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ConfigError } from './config-error.js';

/**
 * Reads one config namespace from the environment: converts the strings to the declared types,
 * validates them, applies the namespace's cross-field `rules`, and throws one `ConfigError` that
 * names every bad variable.
 */
export function readEnv<T extends object>(
  schema: new () => T,
  env: NodeJS.ProcessEnv = process.env,
  rules?: (values: T) => string[],
): T {
  // `VAR=` (as compose writes `${VAR:-}`) means unset, so the default applies.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const values = plainToInstance(schema, set, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(values, { skipMissingProperties: false, forbidUnknownValues: false });
  const problems = [...errors.map(describe), ...(rules?.(values) ?? [])];
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
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
