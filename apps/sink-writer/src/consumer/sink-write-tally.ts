import { Injectable, Logger } from '@nestjs/common';
import { PlatformMetrics } from '@platform/observability';
import type { SinkMetrics } from '@platform/sink-adapters';
import type { Counter } from 'prom-client';

/**
 * The sinks' metrics: every write goes to Prometheus and the rows written are counted per
 * sink and table (the run-once summary); a replayed write (conflict) is counted and logged.
 */
@Injectable()
export class SinkWriteTally implements SinkMetrics {
  private readonly logger = new Logger('SinkConsumerService');
  /** `clickhouse` → `events_page_view` → rows written. */
  readonly rows: Record<string, Record<string, number>> = {};
  private readonly conflicts: Counter<'sink' | 'table'>;

  constructor(private readonly metrics: PlatformMetrics) {
    this.conflicts = metrics.counter({
      name: 'sink_writer_write_conflicts_total',
      help: 'Writes that found rows stored already (a replay) and took the upsert path',
      labelNames: ['sink', 'table'],
    });
  }

  recordWrite(
    sink: string,
    table: string,
    rows: number,
    latencySeconds: number,
    success: boolean,
  ): void {
    this.metrics.sinkWrite({ sink, table, rows, latencySeconds, success });
    if (!success) return;
    const tables = (this.rows[sink] ??= {});
    tables[table] = (tables[table] ?? 0) + rows;
  }

  recordConflict(sink: string, table: string, rows: number): void {
    this.conflicts.inc({ sink, table });
    this.logger.log({ event: 'sink_writer.write_conflict', sink, table, rows });
  }
}
