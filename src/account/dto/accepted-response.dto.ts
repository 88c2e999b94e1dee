import { ApiProperty } from '@nestjs/swagger';

/** 202: the request is taken; what happens next arrives by mail. */
export class AcceptedResponseDto {
  @ApiProperty({ example: 'If that address belongs to an account, a mail is on its way' })
  readonly message: string;
}
