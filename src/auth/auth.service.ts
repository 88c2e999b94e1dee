import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { authConfig, type AuthConfig } from '../config/auth.config.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { ClientInfo, TokenPair } from './auth-user.js';
import type { RegisterDto } from './dto/register.dto.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { PasswordService } from './password.service.js';
import { SessionsService } from './sessions.service.js';

export const INVALID_CREDENTIALS = 'Invalid email or password';

/** Registration, password login and refresh: each ends in a token response. */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  async register({ email, password, name }: RegisterDto, client: ClientInfo): Promise<TokenResponseDto> {
    const passwordHash = await this.passwords.hash(password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.create({ email, passwordHash, name: name ?? null }, manager);
      return this.respond(user, await this.sessions.start(user, client, manager));
    });
  }

  /** One answer for an unknown email and a wrong password, after the same amount of work. */
  async checkCredentials(email: string, password: string): Promise<User> {
    const user = await this.users.findByEmailWithPassword(email);
    const valid = await this.passwords.verify(password, user?.passwordHash);
    if (!user || !valid) throw new UnauthorizedException(INVALID_CREDENTIALS);
    return user;
  }

  async login(user: User, client: ClientInfo): Promise<TokenResponseDto> {
    return this.respond(user, await this.sessions.start(user, client));
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenResponseDto> {
    const { pair, user } = await this.sessions.refresh(refreshToken, client);
    return this.respond(user, pair);
  }

  private respond(user: User, pair: TokenPair): TokenResponseDto {
    return { ...pair, tokenType: 'Bearer', expiresIn: this.config.jwt.accessTtl, user: UserResponseDto.from(user) };
  }
}
