/** A field value as the generator emits it: JSON-ready, and what the Avro serde expects. */
export type EventValue = string | number | boolean | null;

/** One event: `event_id`, `timestamp`, the entity key, then attributes and dimensions. */
export type SyntheticEvent = Readonly<Record<string, EventValue>>;

export interface GeneratedEvent {
  readonly eventType: string;
  readonly event: SyntheticEvent;
}

/**
 * How a streamed event arrives relative to its timestamp: in event-time order, a little late
 * (`outOfOrder`) or later than a lateness bound (`lateBeyond`).
 */
export type Delivery = 'in_order' | 'out_of_order' | 'beyond_lateness';

export interface StreamedEvent extends GeneratedEvent {
  readonly delivery: Delivery;
  /** How far behind its event-time position the event was emitted, in ms (0 when in order). */
  readonly delayMs: number;
}

export interface OutOfOrderOptions {
  /** Fraction of events, 0..1, emitted late by a uniform delay in [1, maxDelayMs]. */
  readonly fraction: number;
  readonly maxDelayMs: number;
}

export interface LateBeyondOptions {
  /** Fraction of events, 0..1, emitted `delayMs` after their event-time position. */
  readonly fraction: number;
  readonly delayMs: number;
}

/** Which numeric field of which event type the summary adds up as revenue. */
export interface RevenueFieldOptions {
  readonly eventType: string;
  readonly field: string;
}

export interface SyntheticOptions {
  /** Any safe integer. The same seed and options give byte-identical events. */
  readonly seed: number;
  /** Distinct keys per entity (`user_1` … `user_N`). Default 100. */
  readonly userPoolSize?: number;
  /** Event time of the first event, epoch ms. Default {@link DEFAULT_START_TIME}, not the clock. */
  readonly startTime?: number;
  /** Mean gap between consecutive events of one session, ms (exponential). Default 8 000. */
  readonly meanGapMs?: number;
  /** Mean gap between the starts of consecutive sessions in `stream()`, ms. Default 1 000. */
  readonly meanSessionGapMs?: number;
  /** Probability an attribute (optional field) is present rather than null. Default 0.8. */
  readonly attributeProbability?: number;
  /** Browsing page views after the landing one: uniform in [min, max]. Default 0..6. */
  readonly browsingPages?: { readonly min: number; readonly max: number };
  /** Probability that a session adds to the cart. Default 0.35. */
  readonly cartProbability?: number;
  /** Probability that a session with a cart ends in a purchase. Default 0.5. */
  readonly purchaseProbability?: number;
  readonly outOfOrder?: OutOfOrderOptions;
  readonly lateBeyond?: LateBeyondOptions;
  /** Default `purchase.revenue` when the model has it; otherwise no revenue is summed. */
  readonly revenue?: RevenueFieldOptions;
}

export interface Summary {
  readonly total: number;
  /** Every event type of the model, in model order, zero included. */
  readonly countsByType: Readonly<Record<string, number>>;
  readonly countsByDelivery: Readonly<Record<Delivery, number>>;
  /** Exact sum of the revenue field in cents. */
  readonly revenueCents: number;
  /** `revenueCents / 100`: at most two decimals. */
  readonly revenueSum: number;
  /** Smallest and largest event timestamp seen (not emission order), null before any event. */
  readonly firstTimestamp: number | null;
  readonly lastTimestamp: number | null;
}
