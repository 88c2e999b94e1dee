import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';

/** The caller needs one of these roles in its access token. */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, roles);
