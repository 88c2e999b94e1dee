import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the purge finds its rows by. Only columns a refresh never writes: an index on sessions.expires_at
 * (rewritten by every rotation) made every rotation a non-HOT update (measured 70% HOT → 0%). Built
 * CONCURRENTLY, outside a transaction, so a big table keeps taking writes; a build interrupted half way
 * leaves an invalid index, which a new run drops and builds again.
 */
export class RetentionIndexes1764500000000 implements MigrationInterface {
  name = 'RetentionIndexes1764500000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [name, definition] of INDEXES) {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."${name}"`);
      await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ${definition}`);
    }
  }

  /** Plain drops (quick): TypeORM reverts in a transaction whatever `transaction` says, and CONCURRENTLY refuses one. */
  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [name] of [...INDEXES].reverse()) await queryRunner.query(`DROP INDEX IF EXISTS "public"."${name}"`);
  }
}

const INDEXES: ReadonlyArray<readonly [string, string]> = [
  ['IDX_sessions_revoked_at', `ON "sessions" ("revoked_at") WHERE "revoked_at" IS NOT NULL`],
  ['IDX_sessions_absolute_expires_at', `ON "sessions" ("absolute_expires_at")`],
  ['IDX_one_time_tokens_expires_at', `ON "one_time_tokens" ("expires_at")`],
  ['IDX_one_time_tokens_used_at', `ON "one_time_tokens" ("used_at") WHERE "used_at" IS NOT NULL`],
  ['IDX_audit_events_created_at', `ON "audit_events" ("created_at")`],
];
