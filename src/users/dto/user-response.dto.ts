import { ApiProperty } from '@nestjs/swagger';
import type { RequestUser } from '../../common/request/auth-user.js';
import { Role } from '../../common/request/role.enum.js';

export class UserResponseDto {
  @ApiProperty({ format: 'uuid', example: '7f1d6f5e-2c1a-4a63-9a55-0e1c3f0b2d41' })
  readonly id: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'ada@example.com',
    description: 'Null for an account without an address',
  })
  readonly email: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Romel',
    description: 'As spelled at registration; unique whatever its case',
  })
  readonly username: string | null;

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
      username: user.username,
      name: user.name,
      roles: [...user.roles],
      emailVerified: user.emailVerifiedAt !== null,
      disabled: user.disabledAt !== null,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }
}
