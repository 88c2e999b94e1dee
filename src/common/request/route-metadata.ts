import { Reflector } from '@nestjs/core';

/**
 * A Reflector that remembers what `getAllAndOverride` answered for each route: decorators write
 * their metadata once, when the classes are defined, yet the global guards read it on every request
 * (each key two lookups through reflect-metadata). Keyed by controller class, then handler, then key.
 */
export function cachingReflector(): Reflector {
  const reflector = new Reflector();
  const read = reflector.getAllAndOverride.bind(reflector) as (key: unknown, targets: unknown[]) => unknown;
  const remembered = new WeakMap<object, WeakMap<object, Map<unknown, unknown>>>();
  const getAllAndOverride = (key: unknown, targets: unknown[]): unknown => {
    const [handler, controller] = targets;
    if (targets.length !== 2 || typeof handler !== 'function' || typeof controller !== 'function') return read(key, targets);
    let byHandler = remembered.get(controller);
    if (!byHandler) remembered.set(controller, (byHandler = new WeakMap()));
    let values = byHandler.get(handler);
    if (!values) byHandler.set(handler, (values = new Map()));
    if (values.has(key)) return values.get(key);
    const value = read(key, targets);
    values.set(key, value);
    return value;
  };
  reflector.getAllAndOverride = getAllAndOverride as Reflector['getAllAndOverride'];
  return reflector;
}
