import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/request/auth-user.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Roles } from '../common/request/roles.decorator.js';
import { PaginationQueryDto } from '../common/dto/pagination-query.dto.js';
import { Role } from '../common/request/role.enum.js';
import { AuditService } from './audit.service.js';
import { AuditEventListResponseDto, AuditEventResponseDto } from './dto/audit-event-response.dto.js';

@ApiTags('audit')
@Controller()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('auth/events')
  @ApiOperation({ summary: "The caller's security events, newest first" })
  @ApiOkResponse({ type: AuditEventListResponseDto })
  own(@CurrentUser() auth: AuthUser, @Query() query: PaginationQueryDto): Promise<AuditEventListResponseDto> {
    return this.page(auth.user.id, query);
  }

  @Get('users/:id/events')
  @Roles(Role.Admin)
  @ApiOperation({ summary: "A user's security events, newest first (admin); kept after the account is deleted" })
  @ApiOkResponse({ type: AuditEventListResponseDto })
  forUser(@Param('id', ParseUUIDPipe) id: string, @Query() query: PaginationQueryDto): Promise<AuditEventListResponseDto> {
    return this.page(id, query);
  }

  private async page(userId: string, { page, limit }: PaginationQueryDto): Promise<AuditEventListResponseDto> {
    const { items, total } = await this.audit.listForUser(userId, page, limit);
    return { items: items.map((event) => AuditEventResponseDto.from(event)), total, page, limit };
  }
}
