import { CliError, EXIT_USAGE } from './cli-error.js';

/** What a command takes: its operands in order, its flags, and the options that carry a value. */
export interface ArgumentSpec {
  operands: string[];
  flags?: string[];
  values?: string[];
}

export interface ParsedArguments {
  operands: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/** `a b --now --name Ada` or `--name=Ada`; anything not in the spec is a usage error naming it. */
export function parseArguments(command: string, args: string[], spec: ArgumentSpec): ParsedArguments {
  const parsed: ParsedArguments = { operands: [], flags: new Set(), values: new Map() };
  const usage = (problem: string) => new CliError(`${command}: ${problem} (see --help)`, EXIT_USAGE);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      parsed.operands.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      parsed.operands.push(arg);
      continue;
    }
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (spec.flags?.includes(name) && inline === undefined) parsed.flags.add(name);
    else if (spec.values?.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw usage(`${name} needs a value`);
      parsed.values.set(name, value);
    } else throw usage(`unknown option ${name}`);
  }
  if (parsed.operands.length !== spec.operands.length) {
    const wanted = spec.operands.length === 0 ? 'no arguments' : spec.operands.map((operand) => `<${operand}>`).join(' ');
    throw usage(`takes ${wanted}`);
  }
  return parsed;
}
