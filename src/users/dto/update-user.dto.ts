import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, ArrayUnique, IsArray, IsEnum, IsOptional } from 'class-validator';
import { IsDisplayName } from '../decorators/is-display-name.decorator.js';
import { Role } from '../role.enum.js';

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: Role, isArray: true, example: [Role.User, Role.Admin] })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsEnum(Role, { each: true, message: `each value in roles must be one of: ${Object.values(Role).join(', ')}` })
  readonly roles?: Role[];

  @ApiPropertyOptional({ maxLength: 100, example: 'Ada Lovelace' })
  @IsOptional()
  @IsDisplayName()
  readonly name?: string;
}
