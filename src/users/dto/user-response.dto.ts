import { ApiProperty } from '@nestjs/swagger';
import type { RequestUser } from '../../common/request/auth-user.js';
import { Role } from '../../common/request/role.enum.js';

export class UserResponseDto {
  @ApiProperty({ format: 'uuid', example: '7f1d6f5e-2c1a-4a63-9a55-0e1c3f0b2d41' })
  readonly id: string;

  @ApiProperty({ example: 'ada@example.com' })
  readonly email: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada Lovelace' })
  readonly name: string | null;

  @ApiProperty({ enum: Role, isArray: true, example: [Role.User] })
  readonly roles: Role[];

  @ApiProperty({ example: false })
  readonly emailVerified: boolean;

  @ApiProperty({ example: false, description: 'Disabled by an admin: cannot log in or use its tokens' })
  readonly disabled: boolean;

  @ApiProperty()
  readonly createdAt: Date;

  @ApiProperty()
  readonly updatedAt: Date;

  static from(user: RequestUser): UserResponseDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      roles: [...user.roles],
      emailVerified: user.emailVerifiedAt !== null,
      disabled: user.disabledAt !== null,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }
}
