// Trace context through the aggregator: pure bookkeeping, no OpenTelemetry calls.
import type { WindowSpec } from '@platform/contracts';

/**
 * A sampled input event, as its trace travels from the source task to the stateful stage:
 * enough to find the windows it fell in (group and event time) and the context to link.
 */
export interface TraceLink {
  /** The repartition key of the event's group (canonical JSON of its group-by values). */
  readonly group: string;
  /** Event time, epoch ms. */
  readonly time: number;
  /** W3C `traceparent` of the source task's span for the event. */
  readonly traceparent: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The `aggregator.trace` header of a pack of partials: the links of the events it holds. */
export function encodeTraceLinks(links: readonly TraceLink[]): string {
  return JSON.stringify(links.map((l) => [l.group, l.time, l.traceparent]));
}

/**
 * The links a header carries. Tracing is best effort: an entry of another shape is left
 * out, never a reason to refuse the record that holds it.
 */
export function parseTraceLinks(text: string): TraceLink[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const links: TraceLink[] = [];
  for (const entry of parsed as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 3) continue;
    const [group, time, traceparent] = entry as unknown[];
    if (typeof group !== 'string' || typeof time !== 'number' || !Number.isFinite(time)) continue;
    if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent)) continue;
    links.push({ group, time, traceparent });
  }
  return links;
}

/** How long after an event's time a window holding it may still be emitted (sessions: at least). */
export function linkHorizonMs(window: WindowSpec): number {
  const extent = window.type === 'session' ? window.gapMs : window.sizeMs;
  return extent + window.allowedLatenessMs + window.outOfOrdernessMs;
}

/**
 * The sampled inputs of a stateful task whose windows are not emitted yet. Bounded: only
 * sampled events come here (a ratio sampler at the edge keeps them rare), the oldest go
 * first beyond `max`, and the watermark retires the rest. Not kept across restarts: a
 * window restored from the changelog is emitted without links.
 */
export class TraceLinks {
  private links: TraceLink[] = [];

  constructor(private readonly max = 1_024) {}

  get size(): number {
    return this.links.length;
  }

  add(link: TraceLink): void {
    if (this.links.length >= this.max) this.links.shift();
    this.links.push(link);
  }

  /** The contexts of the inputs that fell in a window: same group, time in [start, end). */
  within(group: string, start: number, end: number): string[] {
    const found: string[] = [];
    for (const l of this.links) {
      if (l.group === group && l.time >= start && l.time < end) found.push(l.traceparent);
    }
    return found;
  }

  /** Forgets the inputs of events before `time`: every window that holds them was emitted. */
  forgetBefore(time: number): void {
    if (this.links.some((l) => l.time < time))
      this.links = this.links.filter((l) => l.time >= time);
  }
}
