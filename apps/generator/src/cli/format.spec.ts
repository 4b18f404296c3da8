import type { GenerationResult } from '../generation/generation-loop';
import {
  formatProgressBar,
  formatProgressLine,
  formatSummary,
  RateMeter,
  toSummaryJson,
} from './format';

const progress = { generated: 52_000, sent: 51_000, errors: 0, elapsedMs: 1_063 };

describe(formatProgressBar.name, () => {
  it('draws the bar, percentage, counts and rate', () => {
    expect(formatProgressBar(progress, { count: 100_000 }, 48_900, 10)).toBe(
      '[#####.....] 52% 52,000/100,000 48,900 ev/s',
    );
  });

  it('measures a duration run by time and shows errors', () => {
    expect(
      formatProgressBar(
        { ...progress, elapsedMs: 15_000, errors: 3 },
        { durationMs: 60_000 },
        1_000,
        4,
      ),
    ).toBe('[#...] 25% 52,000 in 15s/60s 1,000 ev/s 3 errors');
  });
});

describe(formatProgressLine.name, () => {
  it('is one plain line for logs', () => {
    expect(formatProgressLine(progress, { count: 100_000 }, 48_900)).toBe(
      'progress: generated 52,000/100,000, sent 51,000, errors 0, 48,900 ev/s, 1.1s',
    );
  });
});

describe(RateMeter.name, () => {
  it('reports the rate over its recent window', () => {
    const meter = new RateMeter(1_000);
    meter.add(0, 0);
    expect(meter.add(500, 500)).toBe(1_000);
    meter.add(1_000, 2_000);
    expect(meter.add(2_000, 4_000)).toBe(2_000);
  });
});

describe(formatSummary.name, () => {
  const result: GenerationResult = {
    generated: 2_000,
    sent: 2_000,
    errors: 0,
    elapsedMs: 400,
    stoppedBy: 'count',
    firstError: undefined,
    summary: {
      total: 2_000,
      countsByType: { page_view: 1_640, add_to_cart: 290, purchase: 70 },
      countsByDelivery: { in_order: 1_900, out_of_order: 100, beyond_lateness: 0 },
      revenueCents: 12_345_678,
      revenueSum: 123_456.78,
      firstTimestamp: 1_704_067_200_000,
      lastTimestamp: 1_704_067_260_000,
    },
  };
  const json = toSummaryJson(result, {
    target: 'kafka',
    domain: 'ecommerce',
    environment: 'dev',
    seed: 7,
  });

  it('derives the JSON summary the tests read', () => {
    expect(json).toMatchObject({
      ok: true,
      sent: 2_000,
      ratePerSec: 5_000,
      revenueSum: 123_456.78,
      error: null,
    });
  });

  it('prints counts per type, late deliveries, revenue and the event-time range', () => {
    expect(formatSummary(json)).toBe(
      [
        'Done: 2,000 sent, 0 errors, 2,000 generated in 0.4s (5,000 ev/s) to kafka [ecommerce/dev, seed 7]',
        '  page_view              1,640',
        '  add_to_cart              290',
        '  purchase                  70',
        '  out_of_order             100',
        '  beyond_lateness            0',
        '  revenue           123,456.78',
        '  event time 2024-01-01T00:00:00.000Z .. 2024-01-01T00:01:00.000Z',
      ].join('\n'),
    );
  });

  it('says FAILED with the first error when events were lost', () => {
    const failed = toSummaryJson(
      { ...result, sent: 1_990, errors: 10, firstError: 'broker down' },
      {
        target: 'kafka',
        domain: 'ecommerce',
        environment: 'dev',
        seed: 7,
      },
    );
    expect(failed.ok).toBe(false);
    expect(formatSummary(failed)).toMatch(
      /^FAILED: 1,990 sent, 10 errors[\s\S]*first error: broker down$/,
    );
  });

  it('counts records a source rejected as errors and names the source', () => {
    const replay = toSummaryJson(result, {
      source: 'csv',
      rejected: 3,
      target: 'dry-run',
      domain: 'ecommerce',
      environment: 'dev',
      seed: 7,
    });
    expect(replay).toMatchObject({ ok: false, source: 'csv', errors: 3, rejected: 3 });
    const text = formatSummary(replay);
    expect(text).toMatch(
      /^FAILED: 2,000 sent, 3 errors, .* from csv to dry-run \[ecommerce\/dev\]\n/,
    );
    expect(text).toContain('  rejected                   3 (reasons above)');
  });

  it('reports a replay of a domain without revenue with no seed, revenue or delivery', () => {
    const replay = toSummaryJson(
      {
        ...result,
        summary: {
          ...result.summary,
          countsByType: { reading: 2_000 },
          countsByDelivery: { in_order: 2_000, out_of_order: 0, beyond_lateness: 0 },
          revenueCents: 0,
          revenueSum: 0,
        },
      },
      {
        source: 'csv',
        target: 'kafka',
        domain: 'telemetry',
        environment: 'dev',
        seed: 42,
        revenue: false,
      },
    );
    expect(replay).toMatchObject({
      seed: null,
      revenueSum: null,
      revenueCents: null,
      countsByDelivery: {},
    });
    const text = formatSummary(replay);
    expect(text).not.toMatch(/revenue|seed|in_order/);
    expect(text).toMatch(/from csv to kafka \[telemetry\/dev\]/);
  });
});
