import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { createValidationPipe } from '../../common/pipes/validation.pipe.js';
import { RefusalRefundInterceptor } from '../../rate-limit/refusal-refund.interceptor.js';
import { CHECKED_USER } from '../decorators/checked-user.decorator.js';
import { LoginDto } from '../dto/login.dto.js';

/**
 * Validates and normalises the login body first (guards run before pipes), then checks the password.
 * A body refused here gives its per-account hit back, as a refusal by the pipe does.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  private readonly validation = createValidationPipe();

  constructor(private readonly refunds: RefusalRefundInterceptor) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    try {
      request.body = await this.validation.transform(request.body, { type: 'body', metatype: LoginDto });
    } catch (error) {
      await this.refunds.refundIfRefusal(request, error);
      throw error;
    }
    return (await super.canActivate(context)) as boolean;
  }

  override getAuthenticateOptions(): { property: string } {
    return { property: CHECKED_USER };
  }
}
