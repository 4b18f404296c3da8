import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { EventEmitter } from 'node:events';
import { SynchronousContextManager } from './synchronous-context-manager';

const KEY = createContextKey('request');
const named = (name: string) => ROOT_CONTEXT.setValue(KEY, name);
const nameIn = (manager: SynchronousContextManager) => manager.active().getValue(KEY);

describe(SynchronousContextManager.name, () => {
  it('makes a context active for the extent of `with`, nested, and restores the outer one', () => {
    const manager = new SynchronousContextManager();
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const seen = manager.with(named('outer'), () => {
      const inner = manager.with(named('inner'), () => nameIn(manager));
      return [inner, nameIn(manager)];
    });
    expect(seen).toEqual(['inner', 'outer']);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('restores the outer context when the function throws', () => {
    const manager = new SynchronousContextManager();
    expect(() =>
      manager.with(named('failing'), () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('passes `this` and the arguments through', () => {
    const manager = new SynchronousContextManager();
    const self = { base: 40 };
    const sum = manager.with(
      named('args'),
      function (this: typeof self, a: number, b: number) {
        return this.base + a + b;
      },
      self,
      1,
      1,
    );
    expect(sum).toBe(42);
  });

  it('runs a bound function in its context whenever it is called, with its own `this`', () => {
    const manager = new SynchronousContextManager();
    const bound = manager.bind(named('bound'), function (this: { tag: string }, suffix: string) {
      return `${String(nameIn(manager))}:${this.tag}:${suffix}`;
    });
    expect(bound.length).toBe(1);
    expect(bound.call({ tag: 't' }, 's')).toBe('bound:t:s');
    expect(manager.with(named('other'), () => bound.call({ tag: 'u' }, 'v'))).toBe('bound:u:v');
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });

  it('returns an emitter as it is: its listeners are not bound', () => {
    const manager = new SynchronousContextManager();
    const emitter = new EventEmitter();
    expect(manager.bind(named('emitter'), emitter)).toBe(emitter);
    let seen: unknown = 'not called';
    emitter.on('x', () => (seen = nameIn(manager)));
    emitter.emit('x');
    expect(seen).toBeUndefined();
  });

  it('does not follow an await: the continuation runs in the root context', async () => {
    const manager = new SynchronousContextManager();
    const after = await manager.with(named('request'), async () => {
      const before = nameIn(manager);
      await Promise.resolve();
      return [before, nameIn(manager)];
    });
    expect(after).toEqual(['request', undefined]);
  });
});
