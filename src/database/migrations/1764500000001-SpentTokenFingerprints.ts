import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The spent refresh tokens of a session as 64-bit fingerprints (the first 16 hex digits of each hash)
 * in a bigint array: 16 of them take 128 bytes instead of ~1.1 KB as 64-character strings. Added only
 * (a constant default rewrites nothing): `spent_token_hashes` stays, so the previous release's
 * instances keep working during a rolling deploy, and is still read, so tokens spent before the
 * upgrade still count as reuse. It is no longer written: while both releases run, a token spent on a
 * new instance and replayed to an old one is refused as invalid, not detected as reuse (the session
 * is not ended). A later release drops it, once every session from before has ended (SESSION_MAX_TTL).
 */
export class SpentTokenFingerprints1764500000001 implements MigrationInterface {
  name = 'SpentTokenFingerprints1764500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "spent_token_fingerprints" bigint array NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "spent_token_fingerprints"`);
  }
}
