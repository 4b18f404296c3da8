export { WindowEngine } from './lib/window-engine';
export { finalResults, applyOutputs } from './lib/final-results';
export { ohlcvAccumulators } from './lib/ohlcv';
export {
  assignWindows,
  earliestWindowEnd,
  isLate,
  isWindowClosed,
  isWindowComplete,
  sessionWindow,
  slidingWindows,
  tumblingWindow,
} from './lib/assigners';
export { canonicalJson, toJsonValue } from './lib/canonical';
export { MinHeap } from './lib/min-heap';
export {
  Combiner,
  groupOf,
  paneSize,
  paneStart,
  parsePartial,
  serializePartial,
  windowsOfPane,
} from './lib/partials';
export type { PartialAggregate } from './lib/partials';
export { CLOCK_KEY, windowKey } from './lib/state';
export { WindowingError } from './lib/windowing.error';
export type { WindowingErrorCode } from './lib/windowing.error';
export type {
  EngineSnapshot,
  SerializedClockState,
  SerializedState,
  SerializedWindowState,
  StateEntry,
} from './lib/state';
export type { PickedEvent, SerializedAccumulator } from './lib/accumulators';
export type {
  AccumulatorSpec,
  InvalidEvent,
  JsonValue,
  LateEvent,
  ProcessResult,
  RefusedPartial,
  RetractedWindow,
  WindowBounds,
  WindowEngineOptions,
  WindowEvent,
  WindowResult,
} from './lib/types';
