import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../entities/session.entity.js';

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  readonly id: string;

  @ApiProperty()
  readonly createdAt: Date;

  @ApiProperty({ description: 'Last login or refresh on this session' })
  readonly lastUsedAt: Date;

  @ApiProperty()
  readonly expiresAt: Date;

  @ApiProperty({ type: String, nullable: true })
  readonly userAgent: string | null;

  @ApiProperty({ type: String, nullable: true })
  readonly ip: string | null;

  @ApiProperty({ description: 'True for the session of the token making this request' })
  readonly current: boolean;

  static from(session: Session, currentSessionId: string): SessionResponseDto {
    return {
      id: session.id,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      expiresAt: session.expiresAt,
      userAgent: session.userAgent,
      ip: session.ip,
      current: session.id === currentSessionId,
    };
  }
}
