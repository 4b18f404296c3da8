import { EventContracts } from '@platform/contracts';
import { toMessagingError } from '@platform/messaging';
import { PlatformMetrics } from '@platform/observability';
import { deadLetter, drop, type EventProcessor } from '@platform/processors';
import { Registry } from 'prom-client';
import type { WriteKeyRecord } from '../auth/write-keys';
import { loadGatewaySettings, type GatewaySettings } from '../config/gateway-settings';
import { GatewayMetrics } from '../core/gateway-metrics';
import { GatewayError } from '../http/gateway.error';
import { ecommerceModel } from '../testing/ecommerce-model';
import type { BadRow } from './bad-row';
import type { ClaimState } from './idempotency-store';
import {
  EventsService,
  isoTextOf,
  type EventsDatabase,
  type EventsKafka,
  type ProcessorChains,
} from './events.service';

const KEY: WriteKeyRecord = {
  id: 'k1',
  source: 'web',
  keyPrefix: 'gwk_test',
  eventTypes: null,
  createdAt: new Date(0),
  revokedAt: null,
};

/** The service with typed fakes of its ports: what it sent, dead-lettered and claimed. */
function newEventsService(
  options: {
    settings?: Partial<GatewaySettings>;
    processors?: Record<string, EventProcessor[]>;
    send?: () => Promise<void>;
    publishBadRows?: () => Promise<void>;
    claims?: Record<string, ClaimState>;
    ack?: (ids: readonly string[]) => Promise<void>;
  } = {},
) {
  const sent: { type: string; event: Record<string, unknown>; headers: unknown }[] = [];
  const badRows: BadRow[] = [];
  const send = async (type: string, event: unknown, headers: unknown): Promise<void> => {
    await options.send?.();
    sent.push({ type, event: event as Record<string, unknown>, headers });
  };
  /** Whether each `sendEach` call asked the producer to linger (undefined: its default). */
  const lingers: (boolean | undefined)[] = [];
  const kafka: EventsKafka = {
    producer: {
      sendEach: (events, receiver, sendOptions) => {
        lingers.push(sendOptions?.linger);
        events.forEach((e, i) =>
          send(e.eventType, e.event, e.headers).then(
            () => receiver.settled(i, undefined),
            (error: unknown) => receiver.settled(i, toMessagingError(error)),
          ),
        );
      },
    },
    publishBadRows: async (rows) => {
      await options.publishBadRows?.();
      badRows.push(...rows);
    },
  };
  const claimed: string[] = [];
  const database: EventsDatabase = {
    idempotency: {
      claim: async (ids) => {
        claimed.push(...ids);
        return new Map(ids.map((id) => [id, options.claims?.[id] ?? 'claimed']));
      },
      ack: async (ids) => options.ack?.(ids),
      release: async () => undefined,
    },
  };
  const settings = { ...loadGatewaySettings({}), ...options.settings };
  const processors: ProcessorChains = new Map(Object.entries(options.processors ?? {}));
  const registry = new Registry();
  const sut = new EventsService(
    new EventContracts(ecommerceModel(), {
      maxStringLength: settings.maxStringLength,
      eventTime: { minMs: settings.minEventTimeMs, maxFutureSkewMs: settings.maxEventTimeSkewMs },
    }),
    kafka,
    new GatewayMetrics(new PlatformMetrics(registry)),
    database,
    settings,
    processors,
  );
  return { sut, sent, badRows, claimed, registry, lingers };
}

const view = { user_id: 'u1', device_type: 'mobile', country: 'DE' };
const purchase = {
  user_id: 'u2',
  order_id: 'o',
  revenue: 9,
  currency: 'EUR',
  device_type: 'mobile',
};
/** A page view, which the processors of a test stop, and a purchase, which has none. */
const mixedBatch = {
  events: [
    { type: 'page_view', event: view },
    { type: 'purchase', event: purchase },
  ],
};

describe(EventsService.name, () => {
  it('sends a valid event with its generated id and time, and the source and receipt headers', async () => {
    const { sut, sent } = newEventsService();
    const answer = await sut.ingestOne(KEY, 'page_view', view);
    expect(answer).toEqual({ event_id: expect.any(String), status: 'accepted' });
    expect(sent).toEqual([
      {
        type: 'page_view',
        event: expect.objectContaining({
          ...view,
          event_id: answer.event_id,
          timestamp: expect.any(Number),
        }),
        headers: { received_at: expect.any(String), source: 'web' },
      },
    ]);
  });

  it('refuses an invalid event with 400 naming the field, sends nothing and keeps a bad row', async () => {
    const { sut, sent, badRows } = newEventsService();
    const refused = sut.ingestOne(KEY, 'page_view', { ...view, device_type: 'fridge' });
    await expect(refused).rejects.toMatchObject({
      status: 400,
      code: 'INVALID_EVENT',
      extra: { failures: [expect.objectContaining({ field: 'device_type' })] },
    });
    expect(sent).toEqual([]);
    expect(badRows.map((r) => r.data.failures[0]?.field)).toEqual(['device_type']);
  });

  it('sends the events whose client ids a claim statement answered without lingering for others, and the rest with the linger', async () => {
    const { sut, lingers } = newEventsService();
    await sut.ingestOne(KEY, 'page_view', { ...view, event_id: 'e-claimed' });
    await sut.ingestOne(KEY, 'page_view', view);
    expect(lingers).toEqual([false, undefined]);
  });

  it('answers a client event_id already acknowledged as a duplicate without sending it again', async () => {
    const window = { idempotencyWindowMs: 60_000 };
    const first = newEventsService({ settings: window });
    await first.sut.ingestOne(KEY, 'page_view', { ...view, event_id: 'e-1' });
    expect(first.sent).toHaveLength(1);
    // The store knows the id as acknowledged (by this instance or another).
    const [id] = first.claimed;
    const again = newEventsService({ settings: window, claims: { [id as string]: 'acked' } });
    expect(await again.sut.ingestOne(KEY, 'page_view', { ...view, event_id: 'e-1' })).toEqual({
      event_id: 'e-1',
      status: 'duplicate',
    });
    expect(again.sent).toEqual([]);
  });

  it('answers once Kafka acknowledged, without waiting for the ack statement, and acks the claimed id', async () => {
    const acked: string[] = [];
    const { sut, claimed } = newEventsService({
      settings: { idempotencyWindowMs: 60_000 },
      // The store never finishes the ack: the answer must not wait for it.
      ack: (ids) => {
        acked.push(...ids);
        return new Promise(() => undefined);
      },
    });
    expect(await sut.ingestOne(KEY, 'page_view', { ...view, event_id: 'e-ack' })).toEqual({
      event_id: 'e-ack',
      status: 'accepted',
    });
    expect(acked).toEqual(claimed);
    expect(acked).toHaveLength(1);
  });

  it('sends an event_id repeated within one batch once, and answers the repeat as a duplicate after the ack', async () => {
    const { sut, sent, claimed } = newEventsService({ settings: { idempotencyWindowMs: 60_000 } });
    const event = { ...view, event_id: 'e-twice' };
    const answer = await sut.ingestBatch(
      KEY,
      {
        events: [
          { type: 'page_view', event },
          { type: 'page_view', event },
          { type: 'page_view', event: view },
        ],
      },
      () => undefined,
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 2, duplicates: 1 });
    expect(answer.body.results.map((r) => r.status)).toEqual(['accepted', 'duplicate', 'accepted']);
    expect(sent.map((s) => s.event['event_id'])).toEqual(['e-twice', expect.any(String)]);
    expect(new Set(claimed).size).toBe(1);
  });

  it('fails the events of a batch with client ids that Kafka did not acknowledge in time, and claims the generated ids it handed out', async () => {
    let sends = 0;
    const { sut, claimed } = newEventsService({
      settings: { idempotencyWindowMs: 60_000, produceTimeoutMs: 50 },
      // The second send is never acknowledged.
      send: () => (++sends === 2 ? new Promise(() => undefined) : Promise.resolve()),
    });
    const answer = await sut.ingestBatch(
      KEY,
      {
        events: [
          { type: 'page_view', event: { ...view, event_id: 'e-in-time' } },
          { type: 'page_view', event: view },
        ],
      },
      () => undefined,
    );
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ accepted: 1, failed: 1 });
    const failed = answer.body.results[1];
    expect(failed).toMatchObject({ status: 'failed', retriable: true });
    // The client's id was claimed before the send; the generated one after the timeout.
    expect(claimed).toHaveLength(2);
  });

  it('claims the generated id of an event Kafka acknowledged too late, and acks it once the event lands', async () => {
    let land: () => void = () => undefined;
    let sends = 0;
    const acked: string[] = [];
    const { sut, claimed } = newEventsService({
      settings: { idempotencyWindowMs: 60_000, produceTimeoutMs: 50 },
      send: () =>
        ++sends === 2 ? new Promise<void>((resolve) => (land = resolve)) : Promise.resolve(),
      ack: async (ids) => {
        acked.push(...ids);
      },
    });
    const answer = await sut.ingestBatch(
      KEY,
      {
        events: [
          { type: 'page_view', event: view },
          { type: 'page_view', event: view },
        ],
      },
      () => undefined,
    );
    expect(answer.status).toBe(503);
    expect(answer.body.results.map((r) => r.status)).toEqual(['accepted', 'failed']);
    // Only the late event's id (handed out in the 503) is claimed; it is acked once it lands.
    expect(claimed).toHaveLength(1);
    expect(acked).toEqual([]);
    land();
    await new Promise((resolve) => setImmediate(resolve));
    expect(acked).toEqual(claimed);
  });

  it('counts the accepted events of a batch by type, and not one Kafka did not acknowledge in time', async () => {
    let sends = 0;
    const { sut, registry } = newEventsService({
      settings: { produceTimeoutMs: 50 },
      // The fifth send is never acknowledged.
      send: () => (++sends === 5 ? new Promise(() => undefined) : Promise.resolve()),
    });
    const accepted = async (): Promise<Record<string, number>> => {
      const metric = await registry
        .getSingleMetric('platform_gateway_events_accepted_total')
        ?.get();
      return Object.fromEntries(
        (metric?.values ?? []).map((v) => [String(v.labels['event_type']), v.value]),
      );
    };
    const all = {
      events: [view, view, purchase, view].map((e, i) => ({
        type: i === 2 ? 'purchase' : 'page_view',
        event: e,
      })),
    };
    await expect(sut.ingestBatch(KEY, all, () => undefined)).resolves.toMatchObject({
      status: 202,
    });
    expect(await accepted()).toEqual({ page_view: 3, purchase: 1 });
    const late = await sut.ingestBatch(
      KEY,
      {
        events: [
          { type: 'page_view', event: view },
          { type: 'purchase', event: purchase },
        ],
      },
      () => undefined,
    );
    expect(late.body).toMatchObject({ accepted: 1, failed: 1 });
    expect(await accepted()).toEqual({ page_view: 3, purchase: 2 });
  });

  it('answers 503 with the event id when Kafka does not acknowledge within the produce timeout', async () => {
    const { sut } = newEventsService({
      settings: { produceTimeoutMs: 20 },
      send: () => new Promise(() => undefined),
    });
    const error = await sut.ingestOne(KEY, 'page_view', view).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      status: 503,
      extra: { retryAfterSeconds: 2, details: { event_id: expect.any(String) } },
    });
  });

  describe('with processors', () => {
    const hashUser: EventProcessor = {
      name: 'hash-user',
      process(context, next) {
        context.event['user_id'] = `h(${String(context.event['user_id'])})`;
        return next(context);
      },
    };
    const stop = (outcome: ReturnType<typeof drop>): EventProcessor => ({
      name: 'gate',
      process: () => outcome,
    });

    it('validates and sends what the processors handed on', async () => {
      const { sut, sent } = newEventsService({ processors: { page_view: [hashUser] } });
      await sut.ingestOne(KEY, 'page_view', view);
      expect(sent[0]?.event['user_id']).toBe('h(u1)');
    });

    it('answers a dropped event 202 with the reason and sends nothing', async () => {
      const { sut, sent, badRows } = newEventsService({
        processors: { page_view: [stop(drop('gate', 'bot'))] },
      });
      expect(await sut.ingestOne(KEY, 'page_view', { ...view, event_id: 'e-2' })).toEqual({
        event_id: 'e-2',
        status: 'dropped',
        reason: 'bot',
      });
      expect(sent).toEqual([]);
      expect(badRows).toEqual([]);
    });

    it('dead-letters the event as the processors left it, and counts it in a batch', async () => {
      const { sut, sent, badRows } = newEventsService({
        processors: { page_view: [hashUser, stop(deadLetter('gate', 'no consent'))] },
      });
      const response = await sut.ingestBatch(KEY, mixedBatch, () => undefined);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({ accepted: 1, dead_lettered: 1, dropped: 0 });
      expect(response.body.results[0]).toEqual({
        index: 0,
        type: 'page_view',
        status: 'dead_lettered',
        reason: 'no consent',
      });
      expect(badRows[0]?.data).toMatchObject({
        payload: { ...view, user_id: 'h(u1)' },
        failures: [{ field: '$', reason: 'no consent' }],
      });
      expect(sent.map((s) => s.type)).toEqual(['purchase']);
    });

    it('answers 503 and sends nothing of the batch when the dead-letter topic fails', async () => {
      const { sut, sent } = newEventsService({
        processors: { page_view: [stop(deadLetter('gate', 'no consent'))] },
        publishBadRows: () => Promise.reject(new Error('broker gone')),
      });
      const batch = sut.ingestBatch(KEY, mixedBatch, () => undefined);
      await expect(batch).rejects.toMatchObject({ status: 503 });
      expect(sent).toEqual([]);
    });
  });
});

describe('isoTextOf', () => {
  it('is toISOString, for times within one millisecond and across them', () => {
    const times = [0, 0, 1, 1, 999, 1_000, 1_796_677_836_348, 1_796_677_836_348, -1, 0];
    for (const ms of times) {
      const date = new Date(ms);
      expect(isoTextOf(date)).toBe(date.toISOString());
    }
  });
});
