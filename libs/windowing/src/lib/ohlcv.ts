import type { AccumulatorSpec } from './types';

/**
 * The accumulators of an OHLCV candle: open = first price, high = max, low = min,
 * close = last price, volume = sum of the volume field. Pass them as
 * `new WindowEngine(spec, { accumulators: ohlcvAccumulators('price', 'quantity') })`.
 */
export function ohlcvAccumulators(
  priceField: string,
  volumeField: string,
): readonly AccumulatorSpec[] {
  return [
    { name: 'open', type: 'first', field: priceField },
    { name: 'high', type: 'max', field: priceField },
    { name: 'low', type: 'min', field: priceField },
    { name: 'close', type: 'last', field: priceField },
    { name: 'volume', type: 'sum', field: volumeField },
  ];
}
