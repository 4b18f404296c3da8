import {
  EVENT_ID_FIELD,
  EVENT_TIMESTAMP_FIELD,
  entityOf,
  findEventType,
  type DomainModel,
  type EntitySpec,
  type EventTypeSpec,
} from '@platform/contracts';
import {
  fieldGenerator,
  isMoneyField,
  realisticPresence,
  type FieldContext,
  type FieldGenerator,
  type SessionState,
} from './field-values';
import { MinHeap } from '@platform/windowing';
import { Prng } from './prng';
import { resolveRevenueField, SummaryBuilder } from './summary';
import { SyntheticError } from './synthetic.error';
import type {
  EventValue,
  GeneratedEvent,
  StreamedEvent,
  Summary,
  SyntheticEvent,
  SyntheticOptions,
} from './types';

/** 2024-01-01T00:00:00Z: a fixed default, so that runs never depend on the wall clock. */
export const DEFAULT_START_TIME = 1_704_067_200_000;

/** The funnel a session follows when the model has these event types. */
export const SESSION_FUNNEL = {
  pageView: 'page_view',
  addToCart: 'add_to_cart',
  purchase: 'purchase',
} as const;

export type EntityKey = string | number;

interface CompiledField {
  readonly name: string;
  readonly generate: FieldGenerator;
  readonly presence: number;
}

interface CompiledType {
  readonly spec: EventTypeSpec;
  readonly entity: EntitySpec;
  readonly attributes: readonly CompiledField[];
  readonly dimensions: readonly CompiledField[];
  /**
   * Every field of an event, null, in the order of the Avro schema: an event starts as a copy,
   * which takes its shape at once instead of one property added after another.
   */
  readonly blank: Readonly<Record<string, EventValue>>;
  /** The money field (e.g. `price`) and the quantity field of a cart event, if any. */
  readonly moneyField: string | undefined;
  readonly quantityField: string | undefined;
}

interface ResolvedOptions {
  readonly seed: number;
  readonly userPoolSize: number;
  readonly startTime: number;
  readonly meanGapMs: number;
  readonly meanSessionGapMs: number;
  readonly attributeProbability: number | undefined;
  readonly browsingPages: { readonly min: number; readonly max: number };
  readonly cartProbability: number;
  readonly purchaseProbability: number;
  readonly outOfOrder: { readonly fraction: number; readonly maxDelayMs: number } | undefined;
  readonly lateBeyond: { readonly fraction: number; readonly delayMs: number } | undefined;
}

export interface StreamOptions {
  /** How many events; omitted means unbounded (a long-running producer). */
  readonly count?: number;
}

/**
 * Synthetic events for any domain model, seeded: the same seed and options give
 * byte-identical events. Pure: no clock, no I/O, no `Math.random`.
 *
 * - `generateEvent`, `generateEvents` and `generateUserSession` share one PRNG, so their
 *   output depends on the order of calls (as with any seeded generator).
 * - `stream()` starts from the seed every time: two streams of one generator are equal.
 */
export class SyntheticGenerator {
  private readonly options: ResolvedOptions;
  private readonly types = new Map<string, CompiledType>();
  private readonly pools = new Map<string, readonly EntityKey[]>();
  private readonly funnel: boolean;
  private readonly rng: Prng;
  private readonly revenue: SyntheticOptions['revenue'];
  private clock: number;
  private sessions = 0;

  constructor(
    readonly model: DomainModel,
    options: SyntheticOptions,
  ) {
    this.options = resolveOptions(options);
    for (const spec of model.eventTypes) this.types.set(spec.name, this.compile(spec));
    for (const entity of model.entities)
      this.pools.set(entity.name, userPool(entity, this.options.userPoolSize));
    this.funnel = findEventType(model, SESSION_FUNNEL.pageView) !== undefined;
    this.rng = Prng.derive(this.options.seed, 'calls');
    this.clock = this.options.startTime;
    this.revenue = options.revenue;
    // Fail now, not in the middle of a run, if the revenue option names no numeric field.
    resolveRevenueField(model, options.revenue);
  }

  /** The keys of the first entity (`user_1` … `user_N`): the users sessions are drawn from. */
  get userPool(): readonly EntityKey[] {
    const first = this.model.entities[0];
    return first === undefined ? [] : this.usersOf(first.name);
  }

  usersOf(entity: string): readonly EntityKey[] {
    return this.pools.get(entity) ?? [];
  }

  /**
   * One event of `type`. Without `timestamp`, the generator's own clock gives one (it starts
   * at `startTime` and advances by a random gap per call); without `userId`, a pool user.
   */
  generateEvent(type: string, userId?: EntityKey, timestamp?: number): SyntheticEvent {
    const compiled = this.compiled(type);
    const ts = timestamp ?? this.tick();
    const key = userId ?? this.pickKey(this.rng, compiled.entity);
    const session = newSession(`s_${this.rng.hex(8)}`);
    session.landing = false;
    return this.buildEvent(compiled, this.rng, ts, key, session);
  }

  /** `count` events of `type`, with advancing timestamps. */
  *generateEvents(type: string, count: number): IterableIterator<SyntheticEvent> {
    const compiled = this.compiled(type);
    for (let i = 0; i < count; i++) {
      const session = newSession(`s_${this.rng.hex(8)}`);
      session.landing = false;
      yield this.buildEvent(
        compiled,
        this.rng,
        this.tick(),
        this.pickKey(this.rng, compiled.entity),
        session,
      );
    }
  }

  /**
   * A user session starting at the generator's clock. With the model's `page_view`: a
   * landing page view, browsing page views, maybe `add_to_cart` (if declared), maybe
   * `purchase` (if declared; its money field is the cart's value when there was a cart).
   * Without `page_view`: a few events cycling over the model's event types in order.
   */
  generateUserSession(userId?: EntityKey): GeneratedEvent[] {
    const start = this.clock;
    this.clock += this.rng.exponential(this.options.meanSessionGapMs);
    return this.buildSession(this.rng, start, userId, this.sessions++);
  }

  /** Sessions interleaved in event-time order, with the configured late deliveries. */
  stream(options: StreamOptions = {}): SyntheticStream {
    const count = options.count ?? Infinity;
    if (!(count >= 0) || (Number.isFinite(count) && !Number.isInteger(count))) {
      throw new SyntheticError(
        'SYNTHETIC_BAD_OPTION',
        `count must be a non-negative integer, got ${count}`,
      );
    }
    return new SyntheticStream(this.model, this.streamEvents(count), this.revenue);
  }

  private *streamEvents(count: number): Generator<StreamedEvent> {
    // Independent PRNGs: turning late delivery on changes the order, never the events.
    const content = Prng.derive(this.options.seed, 'stream');
    const delivery = Prng.derive(this.options.seed, 'delivery');
    const { outOfOrder, lateBeyond } = this.options;
    const active = new MinHeap<{ events: GeneratedEvent[]; next: number }>();
    const delayed = new MinHeap<StreamedEvent>();
    let nextSessionStart = this.options.startTime;
    let sessionNo = 0;
    let produced = 0;

    while (produced < count) {
      while (active.size === 0 || nextSessionStart <= (active.peekPriority() as number)) {
        const events = this.buildSession(content, nextSessionStart, undefined, sessionNo++);
        active.push(timestampOf(events[0] as GeneratedEvent), { events, next: 0 });
        nextSessionStart += content.exponential(this.options.meanSessionGapMs);
      }
      // The earliest session gives its next event; it goes back keyed by the one after.
      const cursor = active.peek() as { events: GeneratedEvent[]; next: number };
      const item = cursor.events[cursor.next++] as GeneratedEvent;
      if (cursor.next < cursor.events.length) {
        active.replaceTop(timestampOf(cursor.events[cursor.next] as GeneratedEvent), cursor);
      } else {
        active.pop();
      }
      produced++;
      const ts = timestampOf(item);

      const r = lateBeyond !== undefined || outOfOrder !== undefined ? delivery.float() : 1;
      const lateCut = lateBeyond?.fraction ?? 0;
      if (lateBeyond !== undefined && r < lateCut) {
        delayed.push(ts + lateBeyond.delayMs, {
          ...item,
          delivery: 'beyond_lateness',
          delayMs: lateBeyond.delayMs,
        });
        continue;
      }
      if (outOfOrder !== undefined && r < lateCut + outOfOrder.fraction) {
        const delayMs = delivery.int(1, outOfOrder.maxDelayMs);
        delayed.push(ts + delayMs, { ...item, delivery: 'out_of_order', delayMs });
        continue;
      }
      yield { eventType: item.eventType, event: item.event, delivery: 'in_order', delayMs: 0 };
      // Held-back events go out once an event at (or after) their arrival time has: so when a
      // consumer sees one, it has already seen event time at least `delayMs` past it.
      while (delayed.size > 0 && (delayed.peekPriority() as number) <= ts) {
        yield delayed.pop() as StreamedEvent;
      }
    }
    // A finite stream flushes what is still held back: these arrive less late than planned.
    while (delayed.size > 0) yield delayed.pop() as StreamedEvent;
  }

  private buildSession(
    rng: Prng,
    start: number,
    userId: EntityKey | undefined,
    sessionNo: number,
  ): GeneratedEvent[] {
    const plan = this.funnel ? this.funnelPlan(rng) : this.roundRobinPlan(rng);
    const firstType = this.compiled(plan[0] as string);
    const key = userId ?? this.pickKey(rng, firstType.entity);
    const session = newSession(`s_${String(sessionNo).padStart(6, '0')}_${rng.hex(6)}`);
    const out: GeneratedEvent[] = [];
    let ts = start;
    let cartCents = 0;
    for (let i = 0; i < plan.length; i++) {
      if (i > 0) ts += Math.max(1, rng.exponential(this.options.meanGapMs));
      const type = this.compiled(plan[i] as string);
      const ownKey =
        type.entity.name === firstType.entity.name ? key : this.pickKey(rng, type.entity);
      session.landing = i === 0;
      const event = this.buildEvent(type, rng, ts, ownKey, session);
      if (this.funnel && type.spec.name === SESSION_FUNNEL.addToCart)
        cartCents += cartValueCents(type, event);
      if (this.funnel && type.spec.name === SESSION_FUNNEL.purchase && cartCents > 0) {
        applyCartValue(type, event, cartCents);
      }
      out.push({ eventType: type.spec.name, event });
    }
    return out;
  }

  private funnelPlan(rng: Prng): string[] {
    const { browsingPages, cartProbability, purchaseProbability } = this.options;
    const plan: string[] = [SESSION_FUNNEL.pageView];
    const pages = rng.int(browsingPages.min, browsingPages.max);
    for (let i = 0; i < pages; i++) plan.push(SESSION_FUNNEL.pageView);
    const hasCart = this.types.has(SESSION_FUNNEL.addToCart);
    let carted = false;
    if (hasCart && rng.chance(cartProbability)) {
      carted = true;
      const items = rng.int(1, 3);
      for (let i = 0; i < items; i++) plan.push(SESSION_FUNNEL.addToCart);
    }
    if (this.types.has(SESSION_FUNNEL.purchase)) {
      const buys = hasCart
        ? carted && rng.chance(purchaseProbability)
        : rng.chance(cartProbability * purchaseProbability);
      if (buys) plan.push(SESSION_FUNNEL.purchase);
    }
    return plan;
  }

  private roundRobinPlan(rng: Prng): string[] {
    const names = this.model.eventTypes.map((t) => t.name);
    const length = rng.int(1 + this.options.browsingPages.min, 2 + this.options.browsingPages.max);
    return Array.from({ length }, (_, i) => names[i % names.length] as string);
  }

  private buildEvent(
    type: CompiledType,
    rng: Prng,
    timestamp: number,
    key: EntityKey,
    session: SessionState,
  ): Record<string, EventValue> {
    const ctx: FieldContext = { rng, timestamp, session, page: undefined };
    const event: Record<string, EventValue> = { ...type.blank };
    event[EVENT_ID_FIELD] = rng.uuid();
    event[EVENT_TIMESTAMP_FIELD] = timestamp;
    event[type.entity.primaryKey] = key;
    for (const field of type.attributes) {
      event[field.name] = rng.chance(field.presence) ? field.generate(ctx) : null;
    }
    for (const field of type.dimensions) event[field.name] = field.generate(ctx);
    return event;
  }

  private compiled(type: string): CompiledType {
    const compiled = this.types.get(type);
    if (compiled === undefined) {
      throw new SyntheticError(
        'SYNTHETIC_UNKNOWN_EVENT_TYPE',
        `unknown event type "${type}"; the model declares: ${[...this.types.keys()].join(', ')}`,
      );
    }
    return compiled;
  }

  private compile(spec: EventTypeSpec): CompiledType {
    const presence = this.options.attributeProbability;
    const all = [...spec.attributes, ...spec.dimensions];
    const entity = entityOf(this.model, spec);
    // Field order follows the Avro schema: id, timestamp, key, attributes, dimensions.
    const blank: Record<string, EventValue> = {};
    for (const name of [EVENT_ID_FIELD, EVENT_TIMESTAMP_FIELD, entity.primaryKey])
      blank[name] = null;
    for (const f of all) blank[f.name] = null;
    return {
      spec,
      entity,
      blank,
      attributes: spec.attributes.map((f) => ({
        name: f.name,
        generate: fieldGenerator(f),
        presence: presence ?? realisticPresence(f.name),
      })),
      dimensions: spec.dimensions.map((f) => ({
        name: f.name,
        generate: fieldGenerator(f),
        presence: 1,
      })),
      moneyField: all.find(isMoneyField)?.name,
      quantityField: all.find(
        (f) => (f.type === 'int' || f.type === 'long') && /(quantity|qty)$/i.test(f.name),
      )?.name,
    };
  }

  private pickKey(rng: Prng, entity: EntitySpec): EntityKey {
    const pool = this.pools.get(entity.name) as readonly EntityKey[];
    // Some users are much more active than others.
    return pool[Math.floor(pool.length * rng.float() ** 1.5)] as EntityKey;
  }

  private tick(): number {
    const ts = this.clock;
    this.clock += Math.max(1, this.rng.exponential(this.options.meanGapMs));
    return ts;
  }
}

/** A finite or endless stream of events with a running {@link Summary} of what it yielded. */
export class SyntheticStream implements IterableIterator<StreamedEvent> {
  private readonly totals: SummaryBuilder;

  constructor(
    model: DomainModel,
    private readonly source: Iterator<StreamedEvent>,
    revenue: SyntheticOptions['revenue'],
  ) {
    this.totals = new SummaryBuilder(model, revenue);
  }

  next(): IteratorResult<StreamedEvent> {
    const result = this.source.next();
    if (result.done !== true)
      this.totals.add(result.value.eventType, result.value.event, result.value.delivery);
    return result;
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Totals of the events yielded so far. */
  summary(): Summary {
    return this.totals.snapshot();
  }
}

function newSession(sessionId: string): SessionState {
  return { sessionId, sticky: new Map(), lastProduct: undefined, landing: true };
}

function timestampOf(item: GeneratedEvent): number {
  return item.event[EVENT_TIMESTAMP_FIELD] as number;
}

function userPool(entity: EntitySpec, size: number): EntityKey[] {
  const numeric = entity.primaryKeyType !== 'string';
  return Array.from({ length: size }, (_, i) => (numeric ? i + 1 : `${entity.name}_${i + 1}`));
}

function cartValueCents(type: CompiledType, event: Readonly<Record<string, EventValue>>): number {
  const price = type.moneyField === undefined ? null : event[type.moneyField];
  if (typeof price !== 'number') return 0;
  const quantity = type.quantityField === undefined ? 1 : event[type.quantityField];
  return Math.round(price * 100) * (typeof quantity === 'number' ? quantity : 1);
}

/** A purchase's money field is what the cart held, clamped into the field's declared range. */
function applyCartValue(
  type: CompiledType,
  event: Record<string, EventValue>,
  cents: number,
): void {
  if (type.moneyField === undefined || event[type.moneyField] === null) return;
  const spec = [...type.spec.dimensions, ...type.spec.attributes].find(
    (f) => f.name === type.moneyField,
  );
  const lo = spec?.min === undefined ? -Infinity : Math.ceil(spec.min * 100);
  const hi = spec?.max === undefined ? Infinity : Math.floor(spec.max * 100);
  event[type.moneyField] = Math.min(hi, Math.max(lo, cents)) / 100;
}

function resolveOptions(options: SyntheticOptions): ResolvedOptions {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  check(Number.isSafeInteger(options.seed), `seed must be a safe integer, got ${options.seed}`);
  const userPoolSize = options.userPoolSize ?? 100;
  check(
    Number.isInteger(userPoolSize) && userPoolSize >= 1,
    `userPoolSize must be an integer >= 1, got ${userPoolSize}`,
  );
  const startTime = options.startTime ?? DEFAULT_START_TIME;
  check(Number.isSafeInteger(startTime), `startTime must be epoch milliseconds, got ${startTime}`);
  const meanGapMs = options.meanGapMs ?? 8_000;
  check(meanGapMs > 0 && Number.isFinite(meanGapMs), `meanGapMs must be > 0, got ${meanGapMs}`);
  const meanSessionGapMs = options.meanSessionGapMs ?? 1_000;
  check(
    meanSessionGapMs > 0 && Number.isFinite(meanSessionGapMs),
    `meanSessionGapMs must be > 0, got ${meanSessionGapMs}`,
  );
  const fraction = (name: string, v: number | undefined): void =>
    check(v === undefined || (v >= 0 && v <= 1), `${name} must be within 0..1, got ${v}`);
  fraction('attributeProbability', options.attributeProbability);
  fraction('cartProbability', options.cartProbability);
  fraction('purchaseProbability', options.purchaseProbability);
  const browsingPages = options.browsingPages ?? { min: 0, max: 6 };
  check(
    Number.isInteger(browsingPages.min) &&
      Number.isInteger(browsingPages.max) &&
      0 <= browsingPages.min &&
      browsingPages.min <= browsingPages.max,
    `browsingPages must be integers with 0 <= min <= max, got ${JSON.stringify(browsingPages)}`,
  );
  if (options.outOfOrder !== undefined) {
    fraction('outOfOrder.fraction', options.outOfOrder.fraction);
    check(
      Number.isSafeInteger(options.outOfOrder.maxDelayMs) && options.outOfOrder.maxDelayMs >= 1,
      `outOfOrder.maxDelayMs must be an integer >= 1, got ${options.outOfOrder.maxDelayMs}`,
    );
  }
  if (options.lateBeyond !== undefined) {
    fraction('lateBeyond.fraction', options.lateBeyond.fraction);
    check(
      Number.isSafeInteger(options.lateBeyond.delayMs) && options.lateBeyond.delayMs >= 1,
      `lateBeyond.delayMs must be an integer >= 1, got ${options.lateBeyond.delayMs}`,
    );
  }
  check(
    (options.outOfOrder?.fraction ?? 0) + (options.lateBeyond?.fraction ?? 0) <= 1,
    'outOfOrder.fraction + lateBeyond.fraction must not exceed 1',
  );
  if (problems.length > 0)
    throw new SyntheticError(
      'SYNTHETIC_BAD_OPTION',
      `invalid synthetic options: ${problems.join('; ')}`,
    );
  return {
    seed: options.seed,
    userPoolSize,
    startTime,
    meanGapMs,
    meanSessionGapMs,
    attributeProbability: options.attributeProbability,
    browsingPages,
    cartProbability: options.cartProbability ?? 0.35,
    purchaseProbability: options.purchaseProbability ?? 0.5,
    outOfOrder: options.outOfOrder,
    lateBeyond: options.lateBeyond,
  };
}
