/**
 * The platform logger against plain pino: nanoseconds per line, written synchronously to
 * /dev/null, for a request log line and for one with a secret to remove. The platform logger
 * adds the ISO time, the service fields, the trace ids (none active here) and the removal of
 * secrets; the ratio is what those cost.
 *
 *   npx tsx tools/bench/src/logger.bench.ts [--lines 200000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@platform/observability';
import pino, { type Logger } from 'pino';
import { median, report, type Row, runBench } from './harness';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
  },
});
const lines = Number(values.lines);
const rounds = Number(values.rounds);

const LINES: readonly { label: string; fields: Record<string, unknown> }[] = [
  {
    label: 'request log line',
    fields: { event: 'http.request', method: 'POST', url: '/v1/events', status: 202 },
  },
  {
    label: 'line with a nested secret',
    fields: { event: 'upstream', req: { headers: { authorization: 'Bearer x', host: 'gw' } } },
  },
];

/** Nanoseconds per line: the median of alternated rounds. */
function nsPerLine(logger: Logger, fields: Record<string, unknown>): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < lines; i++) logger.info(fields, 'message');
  return Number(process.hrtime.bigint() - start) / lines;
}

async function main(): Promise<void> {
  const toNull = () => pino.destination({ dest: '/dev/null', sync: true });
  const ours = createLogger({ service: 'bench', level: 'info', destination: toNull() });
  const native = pino({ level: 'info' }, toNull());
  const rows: Row[] = [];
  for (const { label, fields } of LINES) {
    const oursNs: number[] = [];
    const nativeNs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      oursNs.push(nsPerLine(ours, fields));
      nativeNs.push(nsPerLine(native, fields));
    }
    rows.push({
      measure: `${label}, per line`,
      ours: median(oursNs),
      native: median(nativeNs),
      unit: 'ns',
      note: 'lower is better; native: pino with its defaults (no redaction)',
    });
  }
  report('logger', rows, { lines, rounds });
}

runBench(main);
