import type { Readable } from 'node:stream';
import { CliError } from './cli-error.js';

/** Standard input, or a stream standing in for it (a test's): a terminal only when `isTTY`. */
export type InputStream = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/**
 * A secret typed at a terminal (not echoed, asked twice), or the first line of a piped stdin. Never an
 * argument: arguments show in the process list and the shell history.
 */
export async function readSecret(prompt: string, stdin: InputStream): Promise<string> {
  const setRawMode = stdin.isTTY ? stdin.setRawMode?.bind(stdin) : undefined;
  if (!setRawMode) {
    const [line = ''] = (await readAll(stdin)).split(/\r?\n/);
    if (!line) throw new CliError(`${prompt}: nothing on standard input (pipe it in, e.g. printf '%s\\n' "$PASSWORD" | …)`);
    return line;
  }
  const first = await readHidden(`${prompt}: `, stdin, setRawMode);
  const again = await readHidden(`${prompt} again: `, stdin, setRawMode);
  if (first !== again) throw new CliError('the two entries differ');
  if (!first) throw new CliError(`${prompt}: nothing entered`);
  return first;
}

async function readAll(stdin: InputStream): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C cancels. */
function readHidden(prompt: string, stdin: InputStream, setRawMode: (mode: boolean) => unknown): Promise<string> {
  process.stderr.write(prompt);
  setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed: string[] = [];
    const finish = (settle: () => void) => {
      stdin.off('data', onData);
      setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      settle();
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') return finish(() => resolve(typed.join('')));
        if (character === '\u0003' || character === '\u0004') return finish(() => reject(new CliError('cancelled')));
        if (character === '\u007f' || character === '\b') typed = typed.slice(0, -1);
        else typed.push(character);
      }
    };
    stdin.on('data', onData);
  });
}
