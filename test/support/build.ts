import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Compiles src/ into `outDir` as the production build does, for tests that spawn the built process.
 * Others' work in progress may not type-check; --noCheck still emits it.
 */
export async function buildInto(outDir: string): Promise<void> {
  await promisify(execFile)(join('node_modules', '.bin', 'tsc'), [
    '-p',
    'tsconfig.build.json',
    '--noCheck',
    '--sourceMap',
    'false',
    '--outDir',
    outDir,
  ]);
}
