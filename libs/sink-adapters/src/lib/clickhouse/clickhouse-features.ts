/**
 * What a ClickHouse server can do, derived from its version alone (a pure function, so it is
 * unit-tested without a server). Thresholds, from the ClickHouse changelogs:
 * - table `TTL`: 19.6;
 * - `{name:Type}` query parameters: 19.11 ("Added support for prepared statements", #5331);
 * - `DateTime64`: 20.1;
 * - `async_insert`: 21.11;
 * - `insert_deduplication_token`: 22.2.
 * 18.16 (the local stack) has none of them; chDB 3.4 (ClickHouse 26.7) has all.
 */
export interface ClickHouseFeatures {
  readonly version: string;
  readonly ttl: boolean;
  readonly queryParams: boolean;
  readonly dateTime64: boolean;
  readonly asyncInsert: boolean;
  readonly insertDeduplicationToken: boolean;
}

type Version = readonly [number, number];

export const FEATURE_THRESHOLDS = {
  ttl: [19, 6],
  queryParams: [19, 11],
  dateTime64: [20, 1],
  asyncInsert: [21, 11],
  insertDeduplicationToken: [22, 2],
} as const satisfies Record<string, Version>;

/** `[major, minor]` of a version string such as `18.16.1` or `26.7.2.1`; undefined if unparsable. */
export function parseClickHouseVersion(version: string): Version | undefined {
  const match = /^\s*(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

const atLeast = (v: Version, min: Version): boolean =>
  v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);

/** Unknown versions get no optional feature: the conservative paths work everywhere. */
export function clickHouseFeatures(version: string): ClickHouseFeatures {
  const v = parseClickHouseVersion(version);
  const has = (min: Version): boolean => v !== undefined && atLeast(v, min);
  return {
    version,
    ttl: has(FEATURE_THRESHOLDS.ttl),
    queryParams: has(FEATURE_THRESHOLDS.queryParams),
    dateTime64: has(FEATURE_THRESHOLDS.dateTime64),
    asyncInsert: has(FEATURE_THRESHOLDS.asyncInsert),
    insertDeduplicationToken: has(FEATURE_THRESHOLDS.insertDeduplicationToken),
  };
}
