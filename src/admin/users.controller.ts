import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/request/auth-user.js';
import type { ClientInfo } from '../common/request/client-info.js';
import { Client } from '../common/request/client.decorator.js';
import { CurrentUser } from '../common/request/current-user.decorator.js';
import { Roles } from '../common/request/roles.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserListResponseDto } from './dto/user-list-response.dto.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { Role } from '../common/request/role.enum.js';
import { UserListService } from '../users/user-list.service.js';
import { UsersService } from '../users/users.service.js';
import { SessionResponseDto } from '../auth/dto/session-response.dto.js';
import { AdminMfaService } from './admin-mfa.service.js';
import { AdminSessionsService } from './admin-sessions.service.js';
import { AdminUsersService } from './admin-users.service.js';
import { decodeUserListCursor } from './user-list-cursor.js';

@ApiTags('users')
@Roles(Role.Admin)
@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly userList: UserListService,
    private readonly admin: AdminUsersService,
    private readonly adminMfa: AdminMfaService,
    private readonly adminSessions: AdminSessionsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users, newest first (admin); walk a large list with `cursor`' })
  @ApiOkResponse({ type: UserListResponseDto })
  @ApiErrors('forbidden', 'cursor_invalid')
  async list(@Query() query: ListUsersQueryDto): Promise<UserListResponseDto> {
    const after = query.cursor === undefined ? undefined : decodeUserListCursor(query.cursor);
    const { limit, search } = query;
    return UserListResponseDto.from(await this.userList.page({ limit, offset: (query.page - 1) * limit, after, search }), query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one user (admin)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiErrors('forbidden', 'not_found')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.getById(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's roles, name or disabled state (admin); takes effect on the user's next request" })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Would remove the last admin' })
  @ApiErrors('forbidden', 'not_found', 'last_admin', 'conflict')
  async update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateUserDto,
    @CurrentUser() auth: AuthUser,
    @Client() client: ClientInfo,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.admin.update(id, body, { id: auth.user.id, client }));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a user and end all its sessions (admin)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'Would remove the last admin' })
  @ApiErrors('forbidden', 'not_found', 'last_admin', 'conflict')
  remove(@Param('id', ParseUUIDPipe) id: string, @CurrentUser() auth: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.admin.remove(id, { id: auth.user.id, client });
  }

  @Delete(':id/mfa')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      "Clear a user's second factors (admin): authenticator app and recovery codes; the user's sessions end and it is mailed",
  })
  @ApiNoContentResponse({ description: 'Cleared' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: 'The user has no second factor' })
  @ApiErrors('forbidden', 'not_found', 'mfa_not_enabled')
  clearMfa(@Param('id', ParseUUIDPipe) id: string, @CurrentUser() auth: AuthUser, @Client() client: ClientInfo): Promise<void> {
    return this.adminMfa.clear(id, { id: auth.user.id, client });
  }

  @Get(':id/sessions')
  @ApiOperation({ summary: "A user's live sessions, most recently used first (admin); audited" })
  @ApiOkResponse({ type: SessionResponseDto, isArray: true })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiErrors('forbidden', 'not_found')
  async sessions(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentUser() auth: AuthUser,
    @Client() client: ClientInfo,
  ): Promise<SessionResponseDto[]> {
    const sessions = await this.adminSessions.list(id, { id: auth.user.id, client });
    return sessions.map((session) => SessionResponseDto.from(session, auth.sessionId));
  }

  @Delete(':id/sessions/:sid')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary:
      "End one of a user's sessions (admin); its refresh token fails at once, its access tokens on their next check; audited",
  })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiNotFoundResponse({ description: 'No such live session of that user' })
  @ApiErrors('forbidden', 'not_found')
  endSession(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('sid', ParseUUIDPipe) sid: string,
    @CurrentUser() auth: AuthUser,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.adminSessions.end(id, sid, { id: auth.user.id, client });
  }
}
