import { ApiProperty } from '@nestjs/swagger';
import { IsPasskeyName, PASSKEY_NAME_MAX_LENGTH } from '../decorators/is-passkey-name.decorator.js';

export class RenamePasskeyDto {
  @ApiProperty({ example: 'Work laptop', maxLength: PASSKEY_NAME_MAX_LENGTH })
  @IsPasskeyName()
  readonly name: string;
}
