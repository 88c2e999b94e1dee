import { ApiProperty } from '@nestjs/swagger';
import type { Passkey } from '../entities/passkey.entity.js';

export class PasskeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  readonly id: string;

  @ApiProperty({ example: 'Laptop' })
  readonly name: string;

  @ApiProperty()
  readonly createdAt: Date;

  @ApiProperty({ type: Date, nullable: true, description: 'Last sign-in with this passkey' })
  readonly lastUsedAt: Date | null;

  @ApiProperty({ description: 'Synced to a backup (a password manager or platform keychain), so it outlives one device' })
  readonly backedUp: boolean;

  static from(passkey: Passkey): PasskeyResponseDto {
    return {
      id: passkey.id,
      name: passkey.name,
      createdAt: passkey.createdAt,
      lastUsedAt: passkey.lastUsedAt,
      backedUp: passkey.backedUp,
    };
  }
}
