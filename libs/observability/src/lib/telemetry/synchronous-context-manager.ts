import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

/**
 * A context manager without async hooks: the active context is the one given to the innermost
 * `context.with` (or to a function bound with `context.bind`), for the synchronous extent of
 * that call. It does not follow promises, timers or event emitters: code that carries a request
 * on after an `await` or in a callback re-enters the request's context itself, with
 * `context.with(ctx, …)` (see {@link serverContextOf} for the HTTP instrumentation's span).
 *
 * Why it exists: on Node 20, `AsyncLocalStorage` (the SDK's default manager) runs a hook for
 * every promise and async resource the process creates once any store is in use, sampled or
 * not. For a service whose requests are a few microseconds of work, that is a large share of
 * its CPU (ADR 0027). OpenTelemetry's browser `StackContextManager` works the same way.
 */
export class SynchronousContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = context;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  /** Functions run in `context` when called; anything else (an emitter) is returned as it is. */
  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the bound function's own `this` is its caller's
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]): unknown {
      return manager.with(context, () => fn.apply(this, args));
    };
    Object.defineProperty(bound, 'length', { value: fn.length });
    return bound as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
