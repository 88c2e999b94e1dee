import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionLifetime1764000000000 implements MigrationInterface {
  name = 'SessionLifetime1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "absolute_expires_at" TIMESTAMP WITH TIME ZONE`);
    // Sessions from before this migration end no later than they would have.
    await queryRunner.query(`UPDATE "sessions" SET "absolute_expires_at" = "expires_at"`);
    await queryRunner.query(`ALTER TABLE "sessions" ALTER COLUMN "absolute_expires_at" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "absolute_expires_at"`);
  }
}
