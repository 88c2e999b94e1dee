import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { trim } from './code.dto.js';

export class VerifyMfaDto {
  @ApiProperty({ description: 'The `mfaToken` the login answered' })
  @IsString()
  @MaxLength(64)
  readonly mfaToken: string;

  @ApiProperty({
    example: '123456',
    description: 'A code from the authenticator app, or an unused recovery code (`abcde-fghjk`)',
  })
  @trim()
  @IsString()
  @Length(6, 32)
  readonly code: string;
}
