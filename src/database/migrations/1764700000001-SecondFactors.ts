import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Authenticator apps (TOTP), their recovery codes, and the pending second step of a login. */
export class SecondFactors1764700000001 implements MigrationInterface {
  name = 'SecondFactors1764700000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "totp_factors" (
        "user_id" uuid NOT NULL,
        "secret_sealed" character varying(200) NOT NULL,
        "confirmed_at" TIMESTAMP WITH TIME ZONE,
        "last_used_step" bigint,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_totp_factors" PRIMARY KEY ("user_id"),
        CONSTRAINT "FK_totp_factors_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`
      CREATE TABLE "recovery_codes" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "code_hash" character(64) NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_recovery_codes" PRIMARY KEY ("id"),
        CONSTRAINT "FK_recovery_codes_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_recovery_codes_user_hash" ON "recovery_codes" ("user_id", "code_hash")`);
    await queryRunner.query(`
      CREATE TABLE "login_challenges" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" character(64) NOT NULL,
        "cookie_mode" boolean NOT NULL,
        "password_digest" character(64) NOT NULL,
        "attempts" smallint NOT NULL DEFAULT 0,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "used_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "PK_login_challenges" PRIMARY KEY ("id"),
        CONSTRAINT "FK_login_challenges_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_login_challenges_hash" ON "login_challenges" ("token_hash")`);
    await queryRunner.query(`CREATE INDEX "IDX_login_challenges_expires_at" ON "login_challenges" ("expires_at")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_login_challenges_used_at" ON "login_challenges" ("used_at") WHERE "used_at" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "login_challenges"`);
    await queryRunner.query(`DROP TABLE "recovery_codes"`);
    await queryRunner.query(`DROP TABLE "totp_factors"`);
  }
}
