import { AggregationSpec, DomainModel, EventTypeSpec } from './model';

/** Topic name prefixes, from the `topics` section of the platform config. */
export interface TopicPrefixes {
  readonly events: string;
  readonly aggregates: string;
  readonly dlq: string;
  readonly late: string;
  readonly subscriptions: string;
}

export const DEFAULT_TOPIC_PREFIXES: TopicPrefixes = {
  events: 'events',
  aggregates: 'aggregates',
  dlq: 'dlq',
  late: 'late',
  subscriptions: 'subscriptions',
};

export type TopicPurpose = 'events' | 'late' | 'aggregates' | 'dlq' | 'subscriptions' | 'changelog';

export interface TopicSpec {
  readonly name: string;
  readonly purpose: TopicPurpose;
  readonly cleanupPolicy: 'delete' | 'compact';
  readonly partitions?: number;
}

export const eventTopic = (prefixes: TopicPrefixes, eventType: string): string =>
  `${prefixes.events}.${eventType}`;
export const lateTopic = (prefixes: TopicPrefixes, eventType: string): string =>
  `${prefixes.late}.${eventType}`;
export const aggregateTopic = (prefixes: TopicPrefixes, aggregation: string): string =>
  `${prefixes.aggregates}.${aggregation}`;
export const dlqTopic = (prefixes: TopicPrefixes, service: string): string =>
  `${prefixes.dlq}.${service}`;
export const subscriptionTopic = (prefixes: TopicPrefixes, subscriptionId: string): string =>
  `${prefixes.subscriptions}.${subscriptionId}`;

/** Confluent TopicNameStrategy: the value schema of topic T is registered under `T-value`. */
export const valueSubject = (topic: string): string => `${topic}-value`;

/** PostgreSQL's limit on a name (longer ones are cut, quoted or not). */
export const MAX_SQL_NAME_LENGTH = 63;

/**
 * The longest events table name: PostgreSQL stores the table as daily partitions named
 * `<table cut to this length>_pYYYYMMDD`, so two longer tables could share partition names.
 */
export const MAX_EVENT_TABLE_LENGTH = 52;

/** Table of raw events of one type, e.g. `events_page_view`. */
export const eventTable = (eventType: EventTypeSpec | string): string =>
  `events_${typeof eventType === 'string' ? eventType : eventType.name}`;
/** Table of an aggregation's results, e.g. `agg_page_views_per_minute`. */
export const aggregateTable = (aggregation: AggregationSpec | string): string =>
  `agg_${typeof aggregation === 'string' ? aggregation : aggregation.name}`;

/** The topics a domain needs: its events, their late-event topics and the aggregation outputs. */
export function topicPlan(model: DomainModel, prefixes: TopicPrefixes): TopicSpec[] {
  return [
    ...model.eventTypes.map((e) => ({
      name: eventTopic(prefixes, e.name),
      purpose: 'events' as const,
      cleanupPolicy: 'delete' as const,
    })),
    ...model.eventTypes.map((e) => ({
      name: lateTopic(prefixes, e.name),
      purpose: 'late' as const,
      cleanupPolicy: 'delete' as const,
    })),
    ...model.aggregations.map((a) => ({
      name: aggregateTopic(prefixes, a.name),
      purpose: 'aggregates' as const,
      cleanupPolicy: 'delete' as const,
    })),
  ];
}
