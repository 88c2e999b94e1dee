import { ApiProperty } from '@nestjs/swagger';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

/** With REQUIRE_EMAIL_VERIFICATION=true: the account exists, and tokens come after the mailed link is followed. */
export class RegistrationPendingDto {
  @ApiProperty({ type: UserResponseDto })
  readonly user: UserResponseDto;

  @ApiProperty({ example: 'Check your mail to verify your email address, then log in' })
  readonly message: string;
}
