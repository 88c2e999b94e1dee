import { Controller, Get } from '@nestjs/common';
import { CurrentCaller, type Caller } from '../auth/current-caller.decorator.js';
import { Roles } from '../auth/roles.decorator.js';

/** A stand-in for the product's own routes: what a handler knows of its caller, from the token alone. */
interface OrdersResponse {
  sub: string;
  roles: string[];
  orders: unknown[];
}

@Controller('orders')
export class OrdersController {
  /** The caller's orders (none in this example: a real service would query them by `sub`). */
  @Get()
  mine(@CurrentCaller() caller: Caller): OrdersResponse {
    return { sub: caller.sub, roles: caller.roles, orders: [] };
  }

  /** Everyone's orders: admins only. */
  @Get('all')
  @Roles('admin')
  all(@CurrentCaller() caller: Caller): OrdersResponse {
    return { sub: caller.sub, roles: caller.roles, orders: [] };
  }
}
