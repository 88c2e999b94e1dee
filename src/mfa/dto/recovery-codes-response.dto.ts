import { ApiProperty } from '@nestjs/swagger';

/** Shown once: only their hashes are kept. */
export class RecoveryCodesResponseDto {
  @ApiProperty({
    example: ['abcde-fghjk', 'mnpqr-stuvw'],
    description: '10 single-use codes, each standing in for one authenticator code; any earlier codes stop working',
  })
  readonly recoveryCodes: string[];
}
