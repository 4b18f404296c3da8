/** What the request told about its sender, beyond the event: for enrichment. */
export interface RequestFacts {
  readonly userAgent?: string;
  readonly ip?: string;
  /** Request headers, lower-cased names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One event on its way in: processors may change `event` (enrich, hash, remove fields). */
export interface EventContext {
  readonly eventType: string;
  event: Record<string, unknown>;
  readonly receivedAt: Date;
  /** The write key's source. */
  readonly source: string;
  readonly request: RequestFacts;
}

/** How an event left the chain. */
export type ProcessorOutcome =
  | { readonly kind: 'dispatched' }
  | { readonly kind: 'dropped'; readonly processor: string; readonly reason: string }
  | { readonly kind: 'dead-letter'; readonly processor: string; readonly reason: string };

export type Next = (context: EventContext) => ProcessorOutcome;

/**
 * A step of the ingestion chain. It calls `next(context)` to hand the event on (after
 * changing it, or not), or returns `drop(...)` / `deadLetter(...)` without calling it to stop
 * the chain. Processors are synchronous: they run on the request's hot path, in memory.
 */
export interface EventProcessor {
  readonly name: string;
  process(context: EventContext, next: Next): ProcessorOutcome;
}

export const drop = (processor: string, reason: string): ProcessorOutcome => ({
  kind: 'dropped',
  processor,
  reason,
});

export const deadLetter = (processor: string, reason: string): ProcessorOutcome => ({
  kind: 'dead-letter',
  processor,
  reason,
});

const DISPATCHED: ProcessorOutcome = { kind: 'dispatched' };

/**
 * Runs `processors` in order, then the terminal `dispatch` (which sends the event on).
 * A processor that throws dead-letters the event with its error as the reason: one faulty
 * processor never fails the request.
 */
export function runChain(
  processors: readonly EventProcessor[],
  context: EventContext,
  dispatch: (context: EventContext) => void = () => undefined,
): ProcessorOutcome {
  const step = (index: number, ctx: EventContext): ProcessorOutcome => {
    const processor = processors[index];
    if (processor === undefined) {
      dispatch(ctx);
      return DISPATCHED;
    }
    try {
      return processor.process(ctx, (next) => step(index + 1, next));
    } catch (error) {
      return deadLetter(
        processor.name,
        `processor ${processor.name} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  return step(0, context);
}
