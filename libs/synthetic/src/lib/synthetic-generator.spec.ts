import fc from 'fast-check';
import { findEventType, type DomainModel } from '@platform/contracts';
import { checkEvent } from './event-check';
import { SESSION_FUNNEL, SyntheticGenerator } from './synthetic-generator';
import { SyntheticError } from './synthetic.error';
import { ecommerceModel, sensorModel } from './testing-model';
import type { StreamedEvent } from './types';

const json = (gen: SyntheticGenerator, count: number): string =>
  [...gen.stream({ count })].map((e) => JSON.stringify(e)).join('\n');

function issuesOf(
  model: DomainModel,
  events: Iterable<{ eventType: string; event: object }>,
): string[] {
  const issues: string[] = [];
  for (const { eventType, event } of events) {
    const spec = findEventType(model, eventType);
    if (spec === undefined) issues.push(`unknown type ${eventType}`);
    else
      for (const issue of checkEvent(model, spec, event as Record<string, unknown>))
        issues.push(`${eventType}.${issue.field} ${issue.message}`);
  }
  return issues;
}

describe(SyntheticGenerator.name, () => {
  describe('determinism', () => {
    it('gives byte-identical JSON for 10,000 events from two generators with the same seed', () => {
      const a = json(new SyntheticGenerator(ecommerceModel, { seed: 42 }), 10_000);
      const b = json(new SyntheticGenerator(ecommerceModel, { seed: 42 }), 10_000);
      expect(a).toBe(b);
      expect(a.split('\n')).toHaveLength(10_000);
    });

    it('gives different events for different seeds', () => {
      const a = json(new SyntheticGenerator(ecommerceModel, { seed: 42 }), 1_000);
      const b = json(new SyntheticGenerator(ecommerceModel, { seed: 43 }), 1_000);
      expect(a).not.toBe(b);
    });

    it('stays identical with late delivery switched on', () => {
      const late = {
        outOfOrder: { fraction: 0.1, maxDelayMs: 30_000 },
        lateBeyond: { fraction: 0.01, delayMs: 120_000 },
      };
      expect(json(new SyntheticGenerator(ecommerceModel, { seed: 9, ...late }), 5_000)).toBe(
        json(new SyntheticGenerator(ecommerceModel, { seed: 9, ...late }), 5_000),
      );
    });

    it('starts every stream from the seed, whatever was generated before', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 5 });
      const first = json(gen, 500);
      gen.generateUserSession();
      expect(json(gen, 500)).toBe(first);
    });

    it('reads no clock: the default start time is a fixed constant', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 1 });
      expect(gen.generateEvent('page_view')['timestamp']).toBe(1_704_067_200_000);
    });
  });

  describe('events', () => {
    it('validates every event of every seed against its event type', () => {
      fc.assert(
        fc.property(fc.integer(), fc.constantFrom(ecommerceModel, sensorModel), (seed, model) => {
          const gen = new SyntheticGenerator(model, { seed, userPoolSize: 10 });
          expect(issuesOf(model, gen.stream({ count: 300 }))).toEqual([]);
        }),
        { numRuns: 60 },
      );
    });

    it('validates single events, with attributes always present or always null', () => {
      fc.assert(
        fc.property(fc.integer(), fc.constantFrom(0, 1), (seed, attributeProbability) => {
          const gen = new SyntheticGenerator(ecommerceModel, { seed, attributeProbability });
          for (const type of ecommerceModel.eventTypes) {
            const events = [...gen.generateEvents(type.name, 20)];
            expect(
              issuesOf(
                ecommerceModel,
                events.map((event) => ({ eventType: type.name, event })),
              ),
            ).toEqual([]);
            for (const event of events)
              for (const a of type.attributes)
                expect(event[a.name] === null).toBe(attributeProbability === 0);
          }
        }),
        { numRuns: 30 },
      );
    });

    it('rounds money to two decimals and keeps ints integral within min and max', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 3, attributeProbability: 1 });
      for (const e of gen.generateEvents('add_to_cart', 2_000)) {
        const price = e['price'] as number;
        expect(Math.round(price * 100) / 100).toBe(price);
        expect(price).toBeGreaterThanOrEqual(1);
        expect(price).toBeLessThanOrEqual(500);
        expect(Number.isInteger(e['quantity'])).toBe(true);
      }
    });

    it('honours the user and timestamp it is given', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 3 });
      const event = gen.generateEvent('purchase', 'user_7', 1_000);
      expect(event).toMatchObject({ user_id: 'user_7', timestamp: 1_000 });
    });

    it('draws users from a pool of userPoolSize keys', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 3, userPoolSize: 5 });
      expect(gen.userPool).toEqual(['user_1', 'user_2', 'user_3', 'user_4', 'user_5']);
      const users = new Set([...gen.stream({ count: 500 })].map((e) => e.event['user_id']));
      expect([...users].every((u) => gen.userPool.includes(u as string))).toBe(true);
      expect(new SyntheticGenerator(sensorModel, { seed: 1, userPoolSize: 2 }).userPool).toEqual([
        1, 2,
      ]);
    });

    it('rejects an unknown event type with the declared ones', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 3 });
      expect(() => gen.generateEvent('click')).toThrow(
        /unknown event type "click".*page_view, add_to_cart, purchase/,
      );
    });

    it('reports every bad option at once', () => {
      expect(() => new SyntheticGenerator(ecommerceModel, { seed: 1.5, userPoolSize: 0 })).toThrow(
        /seed must be a safe integer.*userPoolSize must be an integer >= 1/,
      );
      expect(
        () =>
          new SyntheticGenerator(ecommerceModel, {
            seed: 1,
            outOfOrder: { fraction: 0.7, maxDelayMs: 1 },
            lateBeyond: { fraction: 0.5, delayMs: 1 },
          }),
      ).toThrow(SyntheticError);
    });
  });

  describe('sessions', () => {
    it('follows the funnel: a landing page view, browsing, then maybe cart and purchase', () => {
      const gen = new SyntheticGenerator(ecommerceModel, { seed: 11 });
      let purchases = 0;
      for (let i = 0; i < 300; i++) {
        const session = gen.generateUserSession();
        const types = session.map((e) => e.eventType).join(' ');
        expect(types).toMatch(/^page_view( page_view)*( add_to_cart)*( purchase)?$/);
        if (types.includes('purchase')) {
          purchases++;
          expect(types).toContain('add_to_cart');
        }
        const users = new Set(session.map((e) => e.event['user_id']));
        expect(users.size).toBe(1);
        const times = session.map((e) => e.event['timestamp'] as number);
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        // Context fields stay put for the whole session.
        expect(new Set(session.map((e) => e.event['device_type'])).size).toBe(1);
      }
      expect(purchases).toBeGreaterThan(0);
    });

    it('charges a purchase what the cart held, within the revenue range', () => {
      const gen = new SyntheticGenerator(ecommerceModel, {
        seed: 12,
        attributeProbability: 1,
        cartProbability: 1,
        purchaseProbability: 1,
      });
      const session = gen.generateUserSession('user_1');
      const cart = session
        .filter((e) => e.eventType === SESSION_FUNNEL.addToCart)
        .reduce(
          (sum, e) =>
            sum + Math.round((e.event['price'] as number) * 100) * (e.event['quantity'] as number),
          0,
        );
      const purchase = session.find((e) => e.eventType === SESSION_FUNNEL.purchase);
      expect(purchase?.event['revenue']).toBe(Math.min(2000_00, Math.max(5_00, cart)) / 100);
      expect(session.every((e) => e.event['user_id'] === 'user_1')).toBe(true);
    });

    it('falls back to a round-robin over the event types when the model has no page_view', () => {
      const gen = new SyntheticGenerator(sensorModel, { seed: 1 });
      const types = gen.generateUserSession().map((e) => e.eventType);
      expect(types.length).toBeGreaterThanOrEqual(1);
      types.forEach((t, i) => expect(t).toBe(i % 2 === 0 ? 'reading' : 'alarm'));
    });
  });

  describe('stream', () => {
    it('emits exactly count events in event-time order when nothing is late', () => {
      const events = [
        ...new SyntheticGenerator(ecommerceModel, { seed: 2 }).stream({ count: 3_000 }),
      ];
      expect(events).toHaveLength(3_000);
      const times = events.map((e) => e.event['timestamp'] as number);
      for (let i = 1; i < times.length; i++)
        expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
      expect(new Set(events.map((e) => e.event['event_id'])).size).toBe(3_000);
    });

    it('emits the same events, reordered, when some are out of order or beyond a lateness bound', () => {
      const count = 5_000;
      const inOrder = [...new SyntheticGenerator(ecommerceModel, { seed: 4 }).stream({ count })];
      const gen = new SyntheticGenerator(ecommerceModel, {
        seed: 4,
        outOfOrder: { fraction: 0.05, maxDelayMs: 20_000 },
        lateBeyond: { fraction: 0.01, delayMs: 60_000 },
      });
      const late = [...gen.stream({ count })];
      const key = (e: StreamedEvent): string => JSON.stringify(e.event);
      expect(late.map(key).sort()).toEqual(inOrder.map(key).sort());

      const ooo = late.filter((e) => e.delivery === 'out_of_order');
      const beyond = late.filter((e) => e.delivery === 'beyond_lateness');
      expect(ooo.length).toBeGreaterThan(150);
      expect(ooo.length).toBeLessThan(350);
      expect(beyond.length).toBeGreaterThan(20);
      // A late event comes after events with later timestamps: max seen event time is ahead.
      let maxSeen = -Infinity;
      let beyondBehind = 0;
      for (const e of late) {
        const ts = e.event['timestamp'] as number;
        if (e.delivery === 'beyond_lateness' && maxSeen - ts >= 60_000) beyondBehind++;
        maxSeen = Math.max(maxSeen, ts);
      }
      expect(beyondBehind).toBeGreaterThan(beyond.length * 0.8);
      let oooBehind = 0;
      maxSeen = -Infinity;
      for (const e of late) {
        const ts = e.event['timestamp'] as number;
        if (e.delivery === 'out_of_order' && maxSeen - ts >= e.delayMs) oooBehind++;
        maxSeen = Math.max(maxSeen, ts);
      }
      expect(oooBehind).toBeGreaterThan(ooo.length * 0.9);
    });

    it('keeps a running summary equal to what it yielded', () => {
      const stream = new SyntheticGenerator(ecommerceModel, { seed: 8 }).stream({ count: 4_000 });
      const counts: Record<string, number> = { page_view: 0, add_to_cart: 0, purchase: 0 };
      let cents = 0;
      let first = Infinity;
      let last = -Infinity;
      for (const { eventType, event } of stream) {
        counts[eventType] = (counts[eventType] ?? 0) + 1;
        if (eventType === 'purchase') cents += Math.round((event['revenue'] as number) * 100);
        first = Math.min(first, event['timestamp'] as number);
        last = Math.max(last, event['timestamp'] as number);
      }
      const summary = stream.summary();
      expect(summary.countsByType).toEqual(counts);
      expect(summary.total).toBe(4_000);
      expect(summary.revenueCents).toBe(cents);
      expect(summary.revenueSum).toBe(cents / 100);
      expect(summary.revenueCents).toBeGreaterThan(0);
      expect([summary.firstTimestamp, summary.lastTimestamp]).toEqual([first, last]);
    });

    it('runs without end when no count is given', () => {
      const stream = new SyntheticGenerator(ecommerceModel, { seed: 8 }).stream();
      for (let i = 0; i < 100; i++) expect(stream.next().done).not.toBe(true);
    });
  });
});
