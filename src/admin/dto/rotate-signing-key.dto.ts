import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

export class RotateSigningKeyDto {
  @ApiPropertyOptional({
    default: false,
    description:
      'Sign with the new key at once instead of JWKS_MAX_AGE from now. For an emergency: verifiers that cached the JWKS ' +
      'must fetch it again on the unknown kid.',
  })
  @IsOptional()
  @IsBoolean()
  immediately?: boolean;
}
