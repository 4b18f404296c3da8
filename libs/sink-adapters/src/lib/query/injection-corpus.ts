/**
 * Hostile `/v1/query` bodies: SQL (and NoSQL-style operators) in every field. Each must be
 * refused with 400 before any SQL is built. Shared by the unit and integration tests.
 * SQL in a free-text filter value is not refused: it is a key to match as text
 * ({@link LITERAL_KEYS}).
 */
const base = {
  aggregation: 'page_views_per_minute',
  time_range: { from: 0, to: 4_102_444_800_000 },
};
const session = { ...base, aggregation: 'cart_sessions', group_by: ['user_id', 'window_start'] };

export const INJECTION_CORPUS: readonly { readonly name: string; readonly body: unknown }[] = [
  {
    name: 'statement after the aggregation',
    body: { ...base, aggregation: 'page_views_per_minute; DROP TABLE t' },
  },
  {
    name: 'quote in the aggregation',
    body: { ...base, aggregation: "page_views_per_minute' OR '1'='1" },
  },
  {
    name: 'union in the aggregation',
    body: { ...base, aggregation: 'page_views_per_minute UNION SELECT * FROM system.users' },
  },
  { name: 'object as the aggregation', body: { ...base, aggregation: { $ne: null } } },
  {
    name: 'table name as the aggregation',
    body: { ...base, aggregation: 'agg_page_views_per_minute' },
  },
  {
    name: 'expression as a filter field',
    body: {
      ...base,
      filters: [{ field: "device_type = 'x' OR 1=1 --", op: 'eq', value: 'mobile' }],
    },
  },
  {
    name: 'tautology as a filter field',
    body: { ...base, filters: [{ field: '1=1', op: 'eq', value: 1 }] },
  },
  {
    name: 'backquote in a filter field',
    body: {
      ...base,
      filters: [{ field: 'device_type`; DROP TABLE t; --', op: 'eq', value: 'mobile' }],
    },
  },
  {
    name: 'SQL operator as op',
    body: { ...base, filters: [{ field: 'device_type', op: '= ANY', value: 'mobile' }] },
  },
  {
    name: 'OR as op',
    body: { ...base, filters: [{ field: 'device_type', op: 'OR', value: '1=1' }] },
  },
  {
    name: 'comment in op',
    body: { ...base, filters: [{ field: 'device_type', op: 'eq; --', value: 'mobile' }] },
  },
  {
    name: 'quote tautology as a value',
    body: { ...base, filters: [{ field: 'device_type', op: 'eq', value: "' OR '1'='1" }] },
  },
  {
    name: 'stacked statement as a value',
    body: {
      ...base,
      filters: [{ field: 'device_type', op: 'eq', value: "mobile'; DROP TABLE t; --" }],
    },
  },
  {
    name: 'NUL byte on a free-text key',
    body: { ...session, filters: [{ field: 'user_id', op: 'eq', value: 'u1\u0000' }] },
  },
  { name: 'subquery in group_by', body: { ...base, group_by: ['(SELECT 1)'] } },
  { name: 'function in group_by', body: { ...base, group_by: ['device_type, version()'] } },
  {
    name: 'statement in order_by',
    body: { ...base, order_by: [{ field: 'value; DROP TABLE t', direction: 'asc' }] },
  },
  {
    name: 'statement in the direction',
    body: { ...base, order_by: [{ field: 'value', direction: 'desc; DROP TABLE t' }] },
  },
  { name: 'statement in the limit', body: { ...base, limit: '10; DROP TABLE t' } },
  { name: 'huge limit', body: { ...base, limit: 1e12 } },
  { name: 'negative limit', body: { ...base, limit: -1 } },
  {
    name: 'SQL in the time range',
    body: { ...base, time_range: { from: "2024-01-01'; DROP TABLE t; --", to: 1 } },
  },
  {
    name: 'function in the time range',
    body: { ...base, time_range: { from: 'now()', to: 'now()' } },
  },
  { name: 'raw SQL field', body: { ...base, sql: 'SELECT * FROM system.tables' } },
  { name: 'where field', body: { ...base, where: '1=1' } },
];

/**
 * Free-text keys that look like SQL, or hold the characters SQL quotes with: a filter on one
 * must match the key as text, and nothing else.
 */
export const LITERAL_KEYS: readonly string[] = [
  "u1' OR '1'='1",
  "u1\\' OR 1=1 --",
  'u1/**/OR/**/1=1',
  'u1 -- x',
  "a') UNION SELECT version() --",
  'u1; SELECT 1',
  'O\'Brien "the 2nd" 100%',
  '/search?q=shoes&page=2#top',
  'back\\slash \\n and {p0:String} and $1',
  'emoji 🚀',
];
