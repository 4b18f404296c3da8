// Public door of @platform/triggers: when sources fire (interval or cron), without I/O.
export { scheduleOf, TriggerSpecError } from './lib/schedule';
export type { Schedule, TriggerSpec } from './lib/schedule';
export { systemClock, ticks } from './lib/ticks';
export type { Tick, TickGate, TicksOptions, TriggerClock } from './lib/ticks';
export { ManualClock, settle } from './lib/manual-clock';
