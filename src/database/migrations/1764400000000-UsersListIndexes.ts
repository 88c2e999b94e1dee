import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin users list at any size: a btree on (created_at, id) serves the newest-first keyset pages
 * (read backwards), and trigram indexes let `ILIKE '%term%'` on email or name use an index instead of
 * reading every row. pg_trgm is a trusted extension (Postgres >= 13): the database owner may create it.
 */
export class UsersListIndexes1764400000000 implements MigrationInterface {
  name = 'UsersListIndexes1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(`CREATE INDEX "IDX_users_created_at_id" ON "users" ("created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_users_email_trgm" ON "users" USING gin ("email" gin_trgm_ops)`);
    await queryRunner.query(`CREATE INDEX "IDX_users_name_trgm" ON "users" USING gin ("name" gin_trgm_ops)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_users_name_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_users_email_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_users_created_at_id"`);
    // pg_trgm stays: it may have been there before, and other objects may use it.
  }
}
