import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  DEFAULT_TOPIC_PREFIXES,
  aggregateTable,
  eventTable,
  topicPlan,
  valueSubject,
} from './naming';
import { validateDomainModel } from './validate';

describe(topicPlan.name, () => {
  it('names one events and one late topic per event type and one topic per aggregation', () => {
    const result = validateDomainModel(
      parse(readFileSync(join(__dirname, '../../../config/domains/ecommerce.yaml'), 'utf8')),
    );
    if (!result.ok) throw new Error('ecommerce.yaml is invalid');
    const plan = topicPlan(result.model, { ...DEFAULT_TOPIC_PREFIXES, events: 'ev' });
    expect(plan.map((t) => `${t.purpose}:${t.name}:${t.cleanupPolicy}`)).toEqual([
      'events:ev.page_view:delete',
      'events:ev.add_to_cart:delete',
      'events:ev.purchase:delete',
      'late:late.page_view:delete',
      'late:late.add_to_cart:delete',
      'late:late.purchase:delete',
      'aggregates:aggregates.page_views_per_minute:delete',
      'aggregates:aggregates.revenue_per_5_minutes:delete',
      'aggregates:aggregates.active_users_sliding:delete',
      'aggregates:aggregates.cart_sessions:delete',
    ]);
  });

  it('derives table names and Confluent subjects from the same names', () => {
    expect(eventTable('page_view')).toBe('events_page_view');
    expect(aggregateTable('cart_sessions')).toBe('agg_cart_sessions');
    expect(valueSubject('events.page_view')).toBe('events.page_view-value');
  });
});
