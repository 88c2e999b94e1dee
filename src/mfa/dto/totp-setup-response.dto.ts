import { ApiProperty } from '@nestjs/swagger';

/** Shown once, at setup; the secret is never answered again. */
export class TotpSetupResponseDto {
  @ApiProperty({ example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', description: 'The shared secret in base32, to type in by hand' })
  readonly secret: string;

  @ApiProperty({
    example: 'otpauth://totp/Auth%20service:ada%40example.com?secret=…&issuer=Auth%20service&algorithm=SHA1&digits=6&period=30',
  })
  readonly otpauthUrl: string;

  @ApiProperty({ example: 'data:image/svg+xml;base64,…', description: 'The otpauth URL as a QR code (an SVG data URL)' })
  readonly qrCode: string;
}
