import type { ClickHouseSettings, PostgresSettings } from '@platform/config';
import { DomainModel } from '@platform/contracts';
import { TableSchema } from '../sink.port';

/** A small domain: page views of a user, counted per minute and device. */
export const MODEL: DomainModel = {
  domain: 'shop',
  version: 'v1',
  contract: {
    namespace: 'com.example.shop',
    mode: 'async',
    sla: { freshnessMs: 60_000, completeness: 0.99 },
  },
  entities: [{ name: 'user', primaryKey: 'user_id', primaryKeyType: 'string' }],
  eventTypes: [
    {
      name: 'page_view',
      entity: 'user',
      attributes: [
        { name: 'referrer', type: 'string' },
        { name: 'load_ms', type: 'int' },
      ],
      dimensions: [
        { name: 'page', type: 'string' },
        { name: 'device_type', type: 'string' },
      ],
    },
  ],
  aggregations: [
    {
      name: 'page_views_per_minute',
      eventType: 'page_view',
      type: 'count',
      window: { type: 'tumbling', sizeMs: 60_000, allowedLatenessMs: 0, outOfOrdernessMs: 0 },
      groupBy: ['device_type'],
    },
    {
      name: 'avg_load_per_page',
      eventType: 'page_view',
      type: 'avg',
      field: 'load_ms',
      window: { type: 'tumbling', sizeMs: 60_000, allowedLatenessMs: 0, outOfOrdernessMs: 0 },
      groupBy: ['page'],
    },
  ],
};

/** Events: immutable rows keyed by id. */
export const EVENTS_SCHEMA: TableSchema = {
  columns: [
    { name: 'event_id', type: 'string' },
    { name: 'ts', type: 'timestamp' },
    { name: 'label', type: 'string', nullable: true },
    { name: 'n', type: 'long', nullable: true },
  ],
  key: ['event_id'],
};

/** Aggregates: keyed by window and group, the highest version wins. */
export const AGG_SCHEMA: TableSchema = {
  columns: [
    { name: 'window_start', type: 'timestamp' },
    { name: 'window_end', type: 'timestamp' },
    { name: 'device_type', type: 'string' },
    { name: 'value', type: 'double', nullable: true },
    { name: 'event_count', type: 'long' },
    { name: 'version', type: 'long' },
  ],
  key: ['window_start', 'window_end', 'device_type'],
  versionColumn: 'version',
};

/** Strings that break naive CSV, SQL and JSON handling. */
export const HOSTILE_STRINGS: readonly string[] = [
  'plain',
  'comma, inside',
  'double "quotes" inside',
  "single 'quotes' inside",
  'new\nline and\r\ncrlf',
  'tab\there',
  'back\\slash \\N \\\\',
  'unicode: žluťoučký kůň, 日本語, emoji 🚀, RTL עברית',
  '',
  ' leading and trailing ',
  "'; DROP TABLE x; --",
  '{x:String} looks like a placeholder',
];

/** ClickHouse 18.16 of tools/local-stack (user `default`, no password), in `database`. */
export function localClickHouseSettings(database: string): ClickHouseSettings {
  return { url: 'http://127.0.0.1:8123', database, username: 'default', password: '', ssl: false };
}

/** PostgreSQL 15 of tools/local-stack (trust auth), in `schema`. */
export function localPostgresSettings(schema: string): PostgresSettings {
  return {
    host: '127.0.0.1',
    port: 5432,
    database: 'postgres',
    username: 'postgres',
    password: '',
    schema,
    ssl: false,
  };
}
