import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { cachingReflector } from './route-metadata.js';

const KEY = 'routeMetadataSpec';

@SetMetadata(KEY, 'controller')
class Controller {
  @SetMetadata(KEY, 'handler')
  overridden(): void {}

  inherited(): void {}
}

class Plain {
  none(): void {}
}

type Route = Parameters<Reflector['getAllAndOverride']>[1];

/** A route as the guards see it: its handler, then its controller. */
const route = (controller: new () => object, name: string): Route => [
  Reflect.get(controller.prototype, name) as () => void,
  controller,
];

describe('cachingReflector', () => {
  it('should answer what Reflector answers, handler over controller', () => {
    const reflector = new Reflector();
    const caching = cachingReflector();
    const routes = [route(Controller, 'overridden'), route(Controller, 'inherited'), route(Plain, 'none')];

    for (const targets of routes) {
      expect(caching.getAllAndOverride(KEY, targets)).toBe(reflector.getAllAndOverride(KEY, targets));
    }
    expect(caching.getAllAndOverride(KEY, routes[0])).toBe('handler');
    expect(caching.getAllAndOverride(KEY, routes[1])).toBe('controller');
    expect(caching.getAllAndOverride(KEY, routes[2])).toBeUndefined();
  });

  it('should read a route’s metadata once, and keep routes and keys apart', () => {
    const caching = cachingReflector();
    const overridden = route(Controller, 'overridden');
    const handler = overridden[0];
    expect(caching.getAllAndOverride(KEY, overridden)).toBe('handler');

    // Metadata written later is not seen: it was remembered (decorators never write after start).
    Reflect.defineMetadata(KEY, 'changed', handler);
    try {
      expect(caching.getAllAndOverride(KEY, overridden)).toBe('handler');
      expect(cachingReflector().getAllAndOverride(KEY, overridden)).toBe('changed');
      expect(caching.getAllAndOverride('anotherKey', overridden)).toBeUndefined();
    } finally {
      Reflect.defineMetadata(KEY, 'handler', handler);
    }
  });
});
