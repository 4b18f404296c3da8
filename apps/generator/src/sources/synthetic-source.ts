import { SyntheticGenerator, type StreamedEvent } from '@platform/synthetic';
import type { EventSource, SourceContext, SourcePlugin } from './event-source';

/** Seeded synthetic sessions from the domain model (`@platform/synthetic`). */
export const syntheticSource: SourcePlugin = {
  name: 'synthetic',
  description: 'seeded synthetic user sessions from the domain model',
  open(context: SourceContext): EventSource & Iterable<StreamedEvent> {
    const { args } = context;
    const generator = new SyntheticGenerator(context.model, {
      seed: args.seed,
      userPoolSize: args.users,
      ...(args.startTime === undefined
        ? {}
        : { startTime: args.startTime === 'now' ? context.wallClock() : args.startTime }),
      ...(args.outOfOrder === undefined || args.outOfOrder === 0
        ? {}
        : { outOfOrder: { fraction: args.outOfOrder, maxDelayMs: args.outOfOrderMaxDelayMs } }),
      ...(args.late === undefined || args.late === 0
        ? {}
        : { lateBeyond: { fraction: args.late, delayMs: args.lateDelayMs } }),
    });
    const stream = (): Iterator<StreamedEvent> =>
      generator.stream(args.count === undefined ? {} : { count: args.count });
    return {
      name: this.name,
      description: this.description,
      // The run loop pulls synchronously when it can: no promise per event.
      [Symbol.iterator]: stream,
      async *[Symbol.asyncIterator]() {
        const it = stream();
        for (let next = it.next(); next.done !== true; next = it.next()) yield next.value;
      },
    };
  },
};
