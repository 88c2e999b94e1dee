// Runs in worker threads (piscina): bcrypt is pure CPU work and would block the event loop.
// Plain JavaScript so that Node loads it as it is, from src/ in tests and from dist/ in production.
import bcrypt from 'bcryptjs';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

// Below the event loop's priority (on Linux a thread has a nice value of its own): logins take the
// idle CPU, and other requests are not kept waiting behind them.
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {
  // Not Linux: the threads keep the normal priority.
}

/**
 * @param {{ password: string, cost: number }} task
 * @returns {string}
 */
export function hash({ password, cost }) {
  return bcrypt.hashSync(password, cost);
}

/**
 * @param {{ password: string, hash: string }} task
 * @returns {boolean}
 */
export function compare({ password, hash }) {
  return bcrypt.compareSync(password, hash);
}
