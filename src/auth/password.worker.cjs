// Runs in worker threads (piscina): bcrypt is pure CPU work and would block the event loop.
// Plain CommonJS, so that Node loads it as it is, from src/ in tests and from dist/ in production.
// (Not ESM: piscina require()s the file first, and Node 20's require() of ES modules can crash the
// process when two tasks load it at once in one worker.)
/* eslint-disable @typescript-eslint/no-require-imports */
const bcrypt = require('bcryptjs');
const { readlinkSync } = require('node:fs');
const { setPriority } = require('node:os');

// The lowest priority (on Linux a thread has a nice value of its own): hashing takes all the CPU
// nothing else wants, and the event loop, woken by a request, gets a core at once instead of waiting
// behind a hash (at nice 10 a guarded route's p99 still rose 3.5-7x during a login storm).
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
} catch {
  // Not Linux: the threads keep the normal priority.
}

/**
 * @param {{ password: string, cost: number }} task
 * @returns {string}
 */
function hash({ password, cost }) {
  return bcrypt.hashSync(password, cost);
}

/**
 * @param {{ password: string, hash: string }} task
 * @returns {boolean}
 */
function compare({ password, hash }) {
  return bcrypt.compareSync(password, hash);
}

module.exports = { hash, compare };
