export {
  aggregateAll,
  aggregateValue,
  compareCodeUnits,
  compareRows,
  computeOracle,
  expectedAggregates,
  expectedForModel,
  fixedWindowsOf,
  isLateAt,
  lateEvents,
  stableJson,
} from './oracle';
export type {
  ExpectedAggregatesOptions,
  OracleEvent,
  OracleLateEvent,
  OracleResult,
  OracleRow,
  TypedOracleEvent,
} from './oracle';
export { diffRows, formatDifferences, rowKey, valuesEqual } from './diff';
export type { ComparableRow, DiffOptions, RowDifference, RowDifferenceKind } from './diff';
export { formatRows } from './table';
export type { TableOptions } from './table';
