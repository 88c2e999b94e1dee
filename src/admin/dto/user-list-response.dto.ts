import { ApiProperty } from '@nestjs/swagger';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

export class UserListResponseDto {
  @ApiProperty({ type: [UserResponseDto] })
  readonly items: UserResponseDto[];

  @ApiProperty({ example: 42, description: 'Users matching the search, all pages' })
  readonly total: number;

  @ApiProperty({ example: 1 })
  readonly page: number;

  @ApiProperty({ example: 20 })
  readonly limit: number;
}
