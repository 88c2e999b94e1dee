import { ApiProperty } from '@nestjs/swagger';
import { IsDisplayName } from '../../users/decorators/is-display-name.decorator.js';

export class UpdateProfileDto {
  @ApiProperty({ example: 'Ada Lovelace', maxLength: 100 })
  @IsDisplayName()
  readonly name: string;
}
