import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The last spent refresh-token hashes of each session, so that only a really issued token counts as theft. */
export class SpentTokenHashes1764200000000 implements MigrationInterface {
  name = 'SpentTokenHashes1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "spent_token_hashes" text array NOT NULL DEFAULT '{}'`);
    await queryRunner.query(
      `UPDATE "sessions" SET "spent_token_hashes" = ARRAY["previous_token_hash"::text] WHERE "previous_token_hash" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "spent_token_hashes"`);
  }
}
