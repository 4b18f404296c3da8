// The one public door of @platform/synthetic: seeded synthetic events from a domain model.
export {
  SyntheticGenerator,
  SyntheticStream,
  DEFAULT_START_TIME,
  SESSION_FUNNEL,
} from './lib/synthetic-generator';
export type { EntityKey, StreamOptions } from './lib/synthetic-generator';
export { SummaryBuilder, DEFAULT_REVENUE_FIELD, resolveRevenueField } from './lib/summary';
export { checkEvent } from './lib/event-check';
export type { EventIssue } from './lib/event-check';
export { Prng } from './lib/prng';
export { SyntheticError } from './lib/synthetic.error';
export type { SyntheticErrorCode } from './lib/synthetic.error';
export type {
  Delivery,
  EventValue,
  GeneratedEvent,
  LateBeyondOptions,
  OutOfOrderOptions,
  RevenueFieldOptions,
  StreamedEvent,
  Summary,
  SyntheticEvent,
  SyntheticOptions,
} from './lib/types';
