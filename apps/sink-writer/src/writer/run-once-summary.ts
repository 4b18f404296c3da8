import type { SinkWriterTotals } from '../consumer/sink-consumer.service';

const int = new Intl.NumberFormat('en-US');

/**
 * `run-once`'s report: records read and dead-lettered, rows per sink and table, time; and
 * one `Summary:` JSON line with the same figures for tools.
 */
export function formatRunOnceSummary(totals: SinkWriterTotals, elapsedMs: number): string {
  const lines = [
    `Done: ${int.format(totals.records)} record(s), ${int.format(totals.deadLettered)} dead letter(s) in ${(elapsedMs / 1000).toFixed(1)} s`,
  ];
  for (const [sink, tables] of Object.entries(totals.rows).sort(([a], [b]) => a.localeCompare(b))) {
    const names = Object.keys(tables).sort();
    const width = Math.max(...names.map((name) => name.length));
    lines.push(`  ${sink}`);
    for (const name of names) {
      lines.push(`    ${name.padEnd(width)} ${int.format(tables[name] ?? 0).padStart(10)} row(s)`);
    }
  }
  lines.push(`Summary: ${JSON.stringify({ ...totals, elapsedMs })}`);
  return lines.join('\n');
}
