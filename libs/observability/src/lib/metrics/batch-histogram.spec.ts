import { Histogram, Registry } from 'prom-client';
import { BatchHistogram } from './batch-histogram';
import { LATENCY_BUCKETS } from './platform-metrics';

describe(BatchHistogram.name, () => {
  it('is exposed exactly as a prom-client Histogram fed the same values one by one', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const batch = new BatchHistogram(
      'latency_seconds',
      'help text',
      'event_type',
      LATENCY_BUCKETS,
      ours,
    );
    const reference = new Histogram({
      name: 'latency_seconds',
      help: 'help text',
      labelNames: ['event_type'],
      buckets: [...LATENCY_BUCKETS],
      registers: [theirs],
    });
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const type of ['page_view', 'purchase', 'page_view', 'odd "type"\n']) {
      // Bounds themselves, values between them, beyond the last, and zero.
      const values = [
        ...LATENCY_BUCKETS,
        0,
        45,
        ...Array.from({ length: 200 }, () => random() ** 4 * 40),
      ];
      batch.observeAll(type, values);
      for (const value of values) reference.observe({ event_type: type }, value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    batch.reset();
    reference.reset();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
