import { ApiProperty } from '@nestjs/swagger';
import { AUDIT_EVENT_TYPES, type AuditEvent, type AuditEventType } from '../entities/audit-event.entity.js';

export class AuditEventResponseDto {
  @ApiProperty({ format: 'uuid' })
  readonly id: string;

  @ApiProperty({ enum: AUDIT_EVENT_TYPES, example: 'login_success' })
  readonly type: AuditEventType;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  readonly ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  readonly userAgent: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { reason: 'wrong_password' } })
  readonly detail: AuditEvent['detail'];

  @ApiProperty()
  readonly createdAt: Date;

  static from(event: AuditEvent): AuditEventResponseDto {
    return {
      id: event.id,
      type: event.type,
      ip: event.ip,
      userAgent: event.userAgent,
      detail: event.detail,
      createdAt: event.createdAt,
    };
  }
}

export class AuditEventListResponseDto {
  @ApiProperty({ type: [AuditEventResponseDto] })
  readonly items: AuditEventResponseDto[];

  @ApiProperty({ example: 12 })
  readonly total: number;

  @ApiProperty({ example: 1 })
  readonly page: number;

  @ApiProperty({ example: 20 })
  readonly limit: number;
}
