import type { AggregationSpec } from '@platform/contracts';
import { canonicalJson, compareStrings } from './canonical';
import type { ProcessResult, WindowEngineOptions, WindowEvent, WindowResult } from './types';
import { WindowEngine } from './window-engine';

function rowKey(row: {
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly group: WindowResult['group'];
}): string {
  return `${row.windowStart}/${row.windowEnd}/${canonicalJson(row.group)}`;
}

/**
 * What a sink that upserts `updates` and deletes `retracted` holds after these outputs,
 * sorted by (start, end, group). Pass every output of one engine, in order.
 */
export function applyOutputs(outputs: readonly ProcessResult[]): readonly WindowResult[] {
  const rows = new Map<string, WindowResult>();
  for (const output of outputs) {
    for (const gone of output.retracted) rows.delete(rowKey(gone));
    for (const row of output.updates) rows.set(rowKey(row), row);
  }
  return [...rows.entries()]
    .sort(
      ([ka, a], [kb, b]) =>
        a.windowStart - b.windowStart || a.windowEnd - b.windowEnd || compareStrings(ka, kb),
    )
    .map(([, row]) => row);
}

/**
 * Runs one engine over `events` in the given order, then flushes: the final rows, as a sink
 * would hold them. Events beyond the allowed lateness are left out, as the engine leaves
 * them out.
 */
export function finalResults(
  spec: AggregationSpec,
  events: readonly WindowEvent[],
  options: WindowEngineOptions = {},
): readonly WindowResult[] {
  const engine = new WindowEngine(spec, options);
  return applyOutputs([engine.process(events), engine.flush()]);
}
