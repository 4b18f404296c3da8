import { backoffDelay } from '@platform/observability';
import type { StreamedEvent } from '@platform/synthetic';
import type { EventSink } from './event-sink';

export interface GatewaySinkOptions {
  /** Base URL of the ingestion gateway, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly writeKey: string;
  /** Events per `POST /v1/events`. */
  readonly batchSize: number;
  /** Batches awaiting their response at once. Default 4. */
  readonly maxRequestsInFlight?: number;
  /** How long a partial batch waits for more events before it is sent. Default 20 ms. */
  readonly lingerMs?: number;
  /** Tries per batch for retriable answers (429, 503, network errors). Default 8. */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
}

/** What the gateway's answer means for one event of the batch. */
export type EventOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

export interface BatchAnswer {
  readonly outcomes: readonly EventOutcome[];
  /** The gateway's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
}

interface ResultBody {
  readonly status?: unknown;
  readonly failures?: readonly { readonly field?: unknown; readonly reason?: unknown }[];
}

/**
 * Pure: a `POST /v1/events` answer as one outcome per event. Per-event results decide when
 * the gateway sent them (`accepted`/`duplicate` ok, `rejected` fail, `failed` retry); other
 * answers apply to the whole batch: 429, 5xx retry, other 4xx fail. Retrying is safe because
 * every generated event carries its `event_id`, which the gateway deduplicates.
 */
export function readBatchAnswer(
  status: number,
  body: unknown,
  count: number,
  retryAfterHeader: string | null,
): BatchAnswer {
  const seconds = retryAfterHeader === null ? NaN : Number(retryAfterHeader);
  const retryAfter = Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {};
  const results = (body as { results?: unknown } | null)?.results;
  if (Array.isArray(results) && results.length === count) {
    return {
      ...retryAfter,
      outcomes: (results as ResultBody[]).map((r): EventOutcome => {
        if (r.status === 'accepted' || r.status === 'duplicate') return { kind: 'ok' };
        const reason = (r.failures ?? [])
          .map((f) => `${String(f.field)}: ${String(f.reason)}`)
          .join('; ');
        return r.status === 'failed'
          ? { kind: 'retry', reason: reason || 'not acknowledged by Kafka' }
          : { kind: 'fail', reason: `rejected by the gateway: ${reason || String(r.status)}` };
      }),
    };
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const reason = `HTTP ${status}${error === undefined ? '' : ` ${String(error.code)}: ${String(error.message)}`}`;
  const outcome: EventOutcome =
    status === 429 || status >= 500 ? { kind: 'retry', reason } : { kind: 'fail', reason };
  return { ...retryAfter, outcomes: Array.from({ length: count }, () => outcome) };
}

interface Pending {
  readonly item: StreamedEvent;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Events to the ingestion gateway's `POST /v1/events`, in batches of `batchSize`, with a
 * write key. An event's `send` resolves once the gateway answered that Kafka acknowledged
 * it (or that it was a duplicate), and rejects with the gateway's reason otherwise.
 */
export class GatewaySink implements EventSink {
  readonly name = 'gateway';
  private batch: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private readonly queue: Pending[][] = [];
  private readonly settled = new Set<Promise<void>>();
  private readonly endpoint: string;

  constructor(private readonly options: GatewaySinkOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/v1/events`;
  }

  send(item: StreamedEvent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.batch.push({ item, resolve, reject });
      if (this.batch.length >= this.options.batchSize) this.cut();
      else this.timer ??= setTimeout(() => this.cut(), this.options.lingerMs ?? 20);
    });
  }

  async flush(timeoutMs: number): Promise<void> {
    this.cut();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the gateway did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      while (this.settled.size > 0 || this.queue.length > 0) {
        await Promise.race([Promise.all([...this.settled]), timeout]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.flush(30_000);
  }

  private cut(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    this.queue.push(this.batch);
    this.batch = [];
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < (this.options.maxRequestsInFlight ?? 4) && this.queue.length > 0) {
      const batch = this.queue.shift() as Pending[];
      this.inFlight++;
      const done: Promise<void> = this.deliver(batch).finally(() => {
        this.inFlight--;
        this.settled.delete(done);
        this.pump();
      });
      this.settled.add(done);
    }
  }

  /** Posts the batch, then re-posts only the events a retry can help, with backoff. */
  private async deliver(batch: readonly Pending[]): Promise<void> {
    let pending = batch;
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const answer = await this.post(pending);
      const retry: Pending[] = [];
      let lastReason = '';
      answer.outcomes.forEach((outcome, i) => {
        const p = pending[i] as Pending;
        if (outcome.kind === 'ok') p.resolve();
        else if (outcome.kind === 'fail') p.reject(new Error(outcome.reason));
        else {
          retry.push(p);
          lastReason = outcome.reason;
        }
      });
      if (retry.length > 0 && attempt >= maxAttempts) {
        const error = new Error(`gave up after ${attempt} attempts: ${lastReason}`);
        for (const p of retry) p.reject(error);
        return;
      }
      pending = retry;
      if (pending.length > 0) {
        const delay = Math.max(answer.retryAfterMs ?? 0, backoffDelay(attempt));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async post(batch: readonly Pending[]): Promise<BatchAnswer> {
    const body = JSON.stringify({
      events: batch.map((p) => ({ type: p.item.eventType, event: p.item.event })),
    });
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-write-key': this.options.writeKey },
        body,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return readBatchAnswer(
        response.status,
        parsed,
        batch.length,
        response.headers.get('retry-after'),
      );
    } catch (error) {
      const reason = `cannot reach the gateway at ${this.endpoint}: ${error instanceof Error ? error.message : String(error)}`;
      return { outcomes: batch.map(() => ({ kind: 'retry', reason })) };
    }
  }
}
