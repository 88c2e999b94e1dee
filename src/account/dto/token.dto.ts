import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** A one-time token from a mailed link (the `token` query parameter) or typed in as a code. */
export class TokenDto {
  @ApiProperty({ example: 'Vb3kX1o0yqv2i2m3b7kq0oXcS8p1mW2A2vA3nX4oH0c' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  readonly token: string;
}
