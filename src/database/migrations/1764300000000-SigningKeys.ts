import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Signing keys in the database: every instance signs with the same current key and verifies the published ones. */
export class SigningKeys1764300000000 implements MigrationInterface {
  name = 'SigningKeys1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "signing_keys" (
        "kid" character varying(64) NOT NULL,
        "algorithm" character varying(10) NOT NULL,
        "public_jwk" jsonb,
        "private_key_sealed" text NOT NULL,
        "source" character varying(16) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "signs_from" TIMESTAMP WITH TIME ZONE NOT NULL,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_signing_keys" PRIMARY KEY ("kid")
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
