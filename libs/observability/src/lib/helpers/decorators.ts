import 'reflect-metadata';
import { logged, type LoggedOptions } from './logged';
import { retry, type RetryOptions } from './retry';
import { timed, type TimedOptions } from './timed';

type AsyncMethod = (...args: never[]) => Promise<unknown>;

/**
 * Wraps an async method. Metadata that decorators applied earlier stored on the original
 * function (Nest's `@Get`, `@EventPattern`, …) is copied to the wrapper so they keep working.
 */
function wrapMethod<M extends AsyncMethod>(
  descriptor: TypedPropertyDescriptor<M>,
  wrap: (original: M, self: unknown, args: Parameters<M>) => ReturnType<M>,
): TypedPropertyDescriptor<M> {
  const original = descriptor.value;
  if (typeof original !== 'function') {
    throw new TypeError('@Timed, @Logged and @Retry apply to methods only');
  }
  const wrapper = function (this: unknown, ...args: Parameters<M>): ReturnType<M> {
    return wrap(original, this, args);
  };
  for (const key of Reflect.getMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, original), wrapper);
  }
  Object.defineProperty(wrapper, 'name', { value: original.name });
  descriptor.value = wrapper as unknown as M;
  return descriptor;
}

function label(target: object, key: string | symbol, name: string | undefined): string {
  return name ?? `${target.constructor.name}.${String(key)}`;
}

/** `@Timed()` on an async method: {@link timed} around every call, named `Class.method`. */
export function Timed(name?: string, options?: TimedOptions) {
  return <M extends AsyncMethod>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M> => {
    const op = label(target, key, name);
    return wrapMethod(
      descriptor,
      (original, self, args) =>
        timed(op, () => original.apply(self, args), options) as ReturnType<M>,
    );
  };
}

/** `@Logged()` on an async method: {@link logged} around every call. */
export function Logged(name?: string, options?: LoggedOptions) {
  return <M extends AsyncMethod>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M> => {
    const op = label(target, key, name);
    return wrapMethod(
      descriptor,
      (original, self, args) =>
        logged(op, () => original.apply(self, args), options) as ReturnType<M>,
    );
  };
}

/** `@Retry({ maxAttempts: 5 })` on an async method: {@link retry} around every call. */
export function Retry(options: RetryOptions = {}) {
  return <M extends AsyncMethod>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): TypedPropertyDescriptor<M> => {
    const op = options.name ?? label(target, key, undefined);
    return wrapMethod(
      descriptor,
      (original, self, args) =>
        retry(() => original.apply(self, args), { ...options, name: op }) as ReturnType<M>,
    );
  };
}
