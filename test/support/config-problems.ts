import { ConfigError } from '../../src/config/config-error.js';

/** The problems a config namespace reports when read; none when it reads cleanly. */
export function problemsOf(read: () => unknown): readonly string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
