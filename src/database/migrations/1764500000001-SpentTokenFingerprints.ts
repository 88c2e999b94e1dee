import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The spent refresh tokens of a session as 64-bit fingerprints (the first 16 hex digits of each hash)
 * in a bigint array instead of 64-character hex strings: 16 of them take 128 bytes instead of ~1.1 KB.
 */
export class SpentTokenFingerprints1764500000001 implements MigrationInterface {
  name = 'SpentTokenFingerprints1764500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "spent_token_fingerprints" bigint array NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`
      UPDATE "sessions" SET "spent_token_fingerprints" = ARRAY(
        SELECT ('x' || left(spent.hash, 16))::bit(64)::bigint
        FROM unnest("spent_token_hashes") WITH ORDINALITY AS spent(hash, position) ORDER BY spent.position)
      WHERE cardinality("spent_token_hashes") > 0`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "spent_token_hashes"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "spent_token_hashes" text array NOT NULL DEFAULT '{}'`);
    // A fingerprint cannot give its hash back: only the token spent last is known again (as SpentTokenHashes did).
    await queryRunner.query(
      `UPDATE "sessions" SET "spent_token_hashes" = ARRAY["previous_token_hash"::text] WHERE "previous_token_hash" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "spent_token_fingerprints"`);
  }
}
