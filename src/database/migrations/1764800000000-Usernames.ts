import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames, and accounts without an email or a password (a username alone; a sign-in with another
 * provider). `username` keeps the spelling given (NFKC) for display; `username_key` is its lower-cased
 * form, computed by the service and unique, so "Romel" and "romel" are one name on every engine
 * whatever the database's collation.
 */
export class Usernames1764800000000 implements MigrationInterface {
  name = 'Usernames1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "one_time_tokens" ALTER COLUMN "email" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "users" ADD "username" character varying(32)`);
    await queryRunner.query(`ALTER TABLE "users" ADD "username_key" character varying(64)`);
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "CHK_users_username_key" CHECK (("username" IS NULL) = ("username_key" IS NULL))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_users_username_key" ON "users" ("username_key")`);
    await queryRunner.query(`CREATE INDEX "IDX_users_username_trgm" ON "users" USING gin ("username" gin_trgm_ops)`);
  }

  /** Accounts without an email or a password cannot exist before this release: reverting deletes them. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_users_username_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_users_username_key"`);
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT "CHK_users_username_key"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "username_key"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "username"`);
    await queryRunner.query(`DELETE FROM "users" WHERE "email" IS NULL OR "password_hash" IS NULL`);
    await queryRunner.query(`DELETE FROM "one_time_tokens" WHERE "email" IS NULL`);
    await queryRunner.query(`ALTER TABLE "one_time_tokens" ALTER COLUMN "email" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "password_hash" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL`);
  }
}
