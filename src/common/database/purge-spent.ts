import type { EntityManager } from 'typeorm';

/** Tables of single-use tokens: each has `id`, `expires_at` and `used_at`, indexed for this purge. */
export type SpentTokenTable = 'one_time_tokens' | 'login_challenges' | 'webauthn_challenges' | 'oauth_flows';

/**
 * Deletes up to `limit` rows of `table` that expired, or were spent, before `cutoff`, in the caller's
 * transaction; how many. The second part leaves out what the first covers, so no row counts twice.
 */
export async function purgeSpentOrExpired(
  manager: EntityManager,
  table: SpentTokenTable,
  cutoff: Date,
  limit: number,
): Promise<number> {
  const [, deleted] = await manager.query<[unknown[], number]>(
    `DELETE FROM ${table} WHERE id IN (
      SELECT id FROM (
        (SELECT id FROM ${table} WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)
        UNION ALL
        (SELECT id FROM ${table} WHERE used_at < $1 AND expires_at >= $1 ORDER BY used_at LIMIT $2)
      ) due LIMIT $2)`,
    [cutoff, limit],
  );
  return deleted;
}
