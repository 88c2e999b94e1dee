import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, MaxLength, Min, ValidateBy, type ValidationArguments } from 'class-validator';
import { PaginationQueryDto } from '../../common/dto/pagination-query.dto.js';

/** `page` reads and skips every row before it: past this many, walk with `cursor` instead. */
export const MAX_USERS_OFFSET = 5000;

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() || undefined : value);

export class ListUsersQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    default: 1,
    description: `Offset paging, kept for small lists: (page - 1) × limit may not exceed ${MAX_USERS_OFFSET}. Use \`cursor\` to walk a large list`,
  })
  // Declared again in full: class-validator drops the inherited checks of a property the subclass validates.
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @ValidateBy({
    name: 'maxUsersOffset',
    validator: {
      validate: (page: unknown, { object }: ValidationArguments) => {
        const { limit } = object as ListUsersQueryDto;
        return typeof page !== 'number' || typeof limit !== 'number' || (page - 1) * limit <= MAX_USERS_OFFSET;
      },
      defaultMessage: () => `page may not start past the first ${MAX_USERS_OFFSET} users: follow nextCursor instead`,
    },
  })
  override readonly page: number = 1;

  @ApiPropertyOptional({
    maxLength: 100,
    description:
      'Case-insensitive match anywhere in email or name; at least 3 letters or digits in a row (shorter terms cannot use the search index)',
  })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MaxLength(100)
  @Matches(/[\p{L}\p{N}]{3}/u, { message: 'search must contain at least 3 letters or digits in a row' })
  readonly search?: string;

  @ApiPropertyOptional({
    maxLength: 200,
    description:
      'The `nextCursor` of the previous page: the page after it, in the same order (newest first). The way to walk a large ' +
      'list; not with `page`. An unknown cursor answers 400 `cursor_invalid`',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @ValidateBy({
    name: 'cursorWithoutPage',
    validator: {
      validate: (_cursor: unknown, { object }: ValidationArguments) => (object as ListUsersQueryDto).page === 1,
      defaultMessage: () => 'cursor and page cannot be used together',
    },
  })
  readonly cursor?: string;
}
