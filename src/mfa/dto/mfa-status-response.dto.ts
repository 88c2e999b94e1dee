import { ApiProperty } from '@nestjs/swagger';

/** Whether the caller's account has two-step verification on; never the secret. */
export class MfaStatusResponseDto {
  @ApiProperty({ description: 'An authenticator app is set up and confirmed' })
  readonly totp: boolean;

  @ApiProperty({ example: 10, description: 'Recovery codes not used yet' })
  readonly recoveryCodesLeft: number;
}
