import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

export class TokenResponseDto {
  @ApiProperty({ description: 'JWT for the Authorization header: `Bearer <accessToken>`' })
  readonly accessToken: string;

  @ApiPropertyOptional({
    description:
      'Opaque, single use: send it to /auth/refresh for the next pair. Absent in cookie mode (X-Token-Transport: cookie), where it is set as an HttpOnly cookie instead',
  })
  readonly refreshToken?: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  readonly tokenType: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  readonly expiresIn: number;

  @ApiProperty({ type: UserResponseDto })
  readonly user: UserResponseDto;
}
