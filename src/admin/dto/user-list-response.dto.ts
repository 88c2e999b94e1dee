import { ApiProperty } from '@nestjs/swagger';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';
import { LIST_COUNT_CAP, SEARCH_COUNT_CAP, type UserListPage } from '../../users/user-list.service.js';
import { encodeUserListCursor } from '../user-list-cursor.js';
import type { ListUsersQueryDto } from './list-users-query.dto.js';

export class UserListResponseDto {
  @ApiProperty({ type: [UserResponseDto], description: 'Newest first' })
  readonly items: UserResponseDto[];

  @ApiProperty({
    example: 42,
    description:
      `Users matching the search, all pages. Counted exactly up to ${LIST_COUNT_CAP} users (${SEARCH_COUNT_CAP} with a ` +
      `search); past that, \`totalExact\` is false and \`total\` is the database's estimate of the table's size (no ` +
      `search) or ${SEARCH_COUNT_CAP + 1}, meaning "more than ${SEARCH_COUNT_CAP}" (search)`,
  })
  readonly total: number;

  @ApiProperty({ example: true, description: 'Whether `total` is an exact count' })
  readonly totalExact: boolean;

  @ApiProperty({ example: 1 })
  readonly page: number;

  @ApiProperty({ example: 20 })
  readonly limit: number;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'MjAyNi0xMS0yM1QxNToyNjoxNC4xMjM0NTZaLDdmMWQ2ZjVlLTJjMWEtNGE2My05YTU1LTBlMWMzZjBiMmQ0MQ',
    description: 'Pass as `cursor` for the next page; null on the last page. Opaque',
  })
  readonly nextCursor: string | null;

  static from({ items, next, total, totalExact }: UserListPage, { page, limit }: ListUsersQueryDto): UserListResponseDto {
    return {
      items: items.map((user) => UserResponseDto.from(user)),
      total,
      totalExact,
      page,
      limit,
      nextCursor: next && encodeUserListCursor(next),
    };
  }
}
