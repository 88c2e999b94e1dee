import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsEnum, IsOptional } from 'class-validator';
import { IsDisplayName } from '../../users/decorators/is-display-name.decorator.js';
import { Role } from '../../common/request/role.enum.js';

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: Role, isArray: true, example: [Role.User, Role.Admin] })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsEnum(Role, { each: true, message: `each value in roles must be one of: ${Object.values(Role).join(', ')}` })
  readonly roles?: Role[];

  @ApiPropertyOptional({ example: true, description: 'true disables the account at once (sessions end); false enables it again' })
  @IsOptional()
  @IsBoolean()
  readonly disabled?: boolean;

  @ApiPropertyOptional({ maxLength: 100, example: 'Ada Lovelace' })
  @IsOptional()
  @IsDisplayName()
  readonly name?: string;
}
