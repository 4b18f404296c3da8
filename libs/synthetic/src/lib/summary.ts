import { findEventType, type DomainModel } from '@platform/contracts';
import { SyntheticError } from './synthetic.error';
import type { Delivery, RevenueFieldOptions, Summary, SyntheticEvent } from './types';

/** The revenue field the summary adds up by default, when the model has it. */
export const DEFAULT_REVENUE_FIELD: RevenueFieldOptions = {
  eventType: 'purchase',
  field: 'revenue',
};

/**
 * Running totals over events: counts per type and per delivery, the exact revenue (integer
 * cents, so 10 000 additions do not drift) and the event-time range. What the e2e tests
 * compare against the database.
 */
export class SummaryBuilder {
  private total = 0;
  private readonly counts: Record<string, number> = {};
  private readonly deliveries: Record<Delivery, number> = {
    in_order: 0,
    out_of_order: 0,
    beyond_lateness: 0,
  };
  private cents = 0;
  private first: number | null = null;
  private last: number | null = null;
  private readonly revenue: RevenueFieldOptions | undefined;

  constructor(model: DomainModel, revenue?: RevenueFieldOptions) {
    for (const type of model.eventTypes) this.counts[type.name] = 0;
    this.revenue = resolveRevenueField(model, revenue);
  }

  add(eventType: string, event: SyntheticEvent, delivery: Delivery = 'in_order'): void {
    this.total += 1;
    this.counts[eventType] = (this.counts[eventType] ?? 0) + 1;
    this.deliveries[delivery] += 1;
    const ts = event['timestamp'];
    if (typeof ts === 'number') {
      if (this.first === null || ts < this.first) this.first = ts;
      if (this.last === null || ts > this.last) this.last = ts;
    }
    if (this.revenue !== undefined && eventType === this.revenue.eventType) {
      const value = event[this.revenue.field];
      if (typeof value === 'number') this.cents += Math.round(value * 100);
    }
  }

  /** Adds another builder's totals to these (a part counted apart, e.g. a chunk once sent). */
  merge(other: SummaryBuilder): void {
    this.total += other.total;
    for (const type in other.counts) {
      this.counts[type] = (this.counts[type] ?? 0) + (other.counts[type] ?? 0);
    }
    for (const delivery of Object.keys(this.deliveries) as Delivery[]) {
      this.deliveries[delivery] += other.deliveries[delivery];
    }
    this.cents += other.cents;
    if (other.first !== null && (this.first === null || other.first < this.first)) {
      this.first = other.first;
    }
    if (other.last !== null && (this.last === null || other.last > this.last)) {
      this.last = other.last;
    }
  }

  snapshot(): Summary {
    return {
      total: this.total,
      countsByType: { ...this.counts },
      countsByDelivery: { ...this.deliveries },
      revenueCents: this.cents,
      revenueSum: this.cents / 100,
      firstTimestamp: this.first,
      lastTimestamp: this.last,
    };
  }
}

/** The configured revenue field, the default one if the model has it, or none. */
export function resolveRevenueField(
  model: DomainModel,
  revenue: RevenueFieldOptions | undefined,
): RevenueFieldOptions | undefined {
  const wanted = revenue ?? DEFAULT_REVENUE_FIELD;
  const type = findEventType(model, wanted.eventType);
  const field = [...(type?.dimensions ?? []), ...(type?.attributes ?? [])].find(
    (f) => f.name === wanted.field,
  );
  const numeric = field !== undefined && ['int', 'long', 'float', 'double'].includes(field.type);
  if (numeric) return wanted;
  if (revenue === undefined) return undefined;
  throw new SyntheticError(
    'SYNTHETIC_BAD_OPTION',
    `revenue field ${revenue.eventType}.${revenue.field} is not a numeric field of the model`,
  );
}
