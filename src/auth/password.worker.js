// Runs in worker threads (piscina): bcrypt is pure CPU work and would block the event loop.
// Plain JavaScript so that Node loads it as it is, from src/ in tests and from dist/ in production.
import bcrypt from 'bcryptjs';

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
