import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class RefreshDto {
  @ApiProperty({ description: 'The refresh token from the last token response; it is spent by this call' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  readonly refreshToken: string;
}
