import { ApiProperty } from '@nestjs/swagger';

/** The login's answer when the password was right and a second step is required: no tokens yet. */
export class MfaChallengeResponseDto {
  @ApiProperty({ enum: [true], example: true })
  readonly mfaRequired: true;

  @ApiProperty({
    description:
      'Send it with a code to POST /api/v1/auth/mfa/verify: it works once, for 5 minutes, and dies after 5 wrong codes',
  })
  readonly mfaToken: string;

  @ApiProperty({ example: ['totp', 'recovery_code'], description: 'What the second step accepts' })
  readonly methods: string[];
}
