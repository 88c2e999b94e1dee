import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A plain index on sessions.user_id: the partial one drew per-session lookups away from the primary key. */
export class SessionUserIndex1764100000000 implements MigrationInterface {
  name = 'SessionUserIndex1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_user_active"`);
    await queryRunner.query(`CREATE INDEX "IDX_sessions_user" ON "sessions" ("user_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_sessions_user"`);
    await queryRunner.query(`CREATE INDEX "IDX_sessions_user_active" ON "sessions" ("user_id") WHERE "revoked_at" IS NULL`);
  }
}
