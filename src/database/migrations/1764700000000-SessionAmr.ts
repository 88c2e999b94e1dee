import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How each session's login was proven (the access token's `amr`). Sessions opened before this release
 * were all opened with a password. A constant default: adding the column rewrites no row.
 */
export class SessionAmr1764700000000 implements MigrationInterface {
  name = 'SessionAmr1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "amr" text array NOT NULL DEFAULT '{pwd}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "amr"`);
  }
}
