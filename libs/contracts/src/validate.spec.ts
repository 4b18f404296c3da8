import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DomainModel } from './model';
import { ContractIssue, parseDuration, validateDomainModel } from './validate';

const ecommerceYaml = readFileSync(
  join(__dirname, '../../../config/domains/ecommerce.yaml'),
  'utf8',
);

/** A small valid domain that each case below breaks in one way. */
function baseDomain(): Record<string, unknown> {
  return {
    domain: 'shop',
    version: 'v1',
    contract: {
      namespace: 'com.example',
      mode: 'sync',
      sla: { freshness: '1 minute', completeness: 0.99 },
    },
    entities: { user: { primary_key: 'user_id' } },
    event_types: [
      {
        name: 'page_view',
        entity: 'user',
        attributes: ['page_url', { name: 'load_ms', type: 'int' }],
        dimensions: [{ name: 'device_type', type: 'string', values: ['desktop', 'mobile'] }],
      },
      {
        name: 'purchase',
        entity: 'user',
        dimensions: [
          { name: 'revenue', type: 'double', min: 0, max: 100 },
          { name: 'currency', type: 'string' },
        ],
      },
    ],
    aggregations: [
      {
        name: 'views',
        event_type: 'page_view',
        type: 'count',
        window: { type: 'tumbling', duration: '1 minute' },
        group_by: ['device_type'],
      },
    ],
  };
}

function issuesOf(mutate: (d: Record<string, any>) => void): readonly ContractIssue[] {
  const domain = baseDomain();
  mutate(domain);
  const result = validateDomainModel(domain);
  if (result.ok) throw new Error('expected the domain to be rejected');
  return result.issues;
}

function modelOf(raw: unknown): DomainModel {
  const result = validateDomainModel(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.model;
}

describe(validateDomainModel.name, () => {
  it('reads the shipped ecommerce domain into a normalized model', () => {
    const model = modelOf(parse(ecommerceYaml));
    expect(model.domain).toBe('ecommerce');
    expect(model.contract).toEqual({
      description: expect.any(String),
      namespace: 'com.streaming.events',
      mode: 'async',
      sla: { freshnessMs: 300_000, completeness: 0.999 },
    });
    expect(model.entities).toEqual([
      { name: 'user', primaryKey: 'user_id', primaryKeyType: 'string' },
    ]);
    expect(model.eventTypes.map((e) => e.name)).toEqual(['page_view', 'add_to_cart', 'purchase']);
    expect(model.aggregations.map((a) => [a.name, a.type, a.window.type])).toEqual([
      ['page_views_per_minute', 'count', 'tumbling'],
      ['revenue_per_5_minutes', 'sum', 'tumbling'],
      ['active_users_sliding', 'count_distinct', 'sliding'],
      ['cart_sessions', 'sum', 'session'],
    ]);
    expect(model.aggregations[2].window).toEqual({
      type: 'sliding',
      sizeMs: 600_000,
      slideMs: 60_000,
      allowedLatenessMs: 30_000,
      outOfOrdernessMs: 0,
    });
    expect(model.aggregations[3].window).toMatchObject({ type: 'session', gapMs: 1_800_000 });
  });

  it('treats a bare attribute name as an optional string field', () => {
    const model = modelOf(baseDomain());
    expect(model.eventTypes[0].attributes[0]).toEqual({ name: 'page_url', type: 'string' });
  });

  it.each<[string, (d: Record<string, any>) => void, ContractIssue]>([
    [
      'an event type of an unknown entity',
      (d) => (d.event_types[0].entity = 'customer'),
      { path: ['event_types', 0, 'entity'], message: 'unknown entity "customer"; declared: user' },
    ],
    [
      'a field named like a field every event has',
      (d) => d.event_types[0].attributes.push('timestamp'),
      {
        path: ['event_types', 0, 'attributes', 2, 'name'],
        message: 'field "timestamp" is a field every event already has',
      },
    ],
    [
      'a field named like the primary key',
      (d) => d.event_types[1].dimensions.push('user_id'),
      {
        path: ['event_types', 1, 'dimensions', 2, 'name'],
        message:
          'field "user_id" is the primary key of entity "user", which every event already has',
      },
    ],
    [
      'a field declared twice',
      (d) => d.event_types[0].dimensions.push('page_url'),
      {
        path: ['event_types', 0, 'dimensions', 1, 'name'],
        message: 'field "page_url" is declared twice',
      },
    ],
    [
      'two event types of one name',
      (d) => d.event_types.push({ ...d.event_types[1] }),
      {
        path: ['event_types', 2, 'name'],
        message: 'event type "purchase" is declared more than once',
      },
    ],
    [
      'two event types whose names differ only in case',
      (d) => d.event_types.push({ ...d.event_types[1], name: 'Purchase' }),
      {
        path: ['event_types', 2, 'name'],
        message:
          'event type "Purchase" differs from "purchase" only in case; their tables, columns or topics would differ only in case, which unquoted SQL and some file systems fold',
      },
    ],
    [
      'a field named like another but for case',
      (d) => d.event_types[0].dimensions.push('Page_URL'),
      {
        path: ['event_types', 0, 'dimensions', 1, 'name'],
        message: expect.stringMatching(/^field "Page_URL" differs from "page_url" only in case/),
      },
    ],
    [
      'a field named like the primary key but for case',
      (d) => d.event_types[1].dimensions.push('User_Id'),
      {
        path: ['event_types', 1, 'dimensions', 2, 'name'],
        message: expect.stringMatching(/^field "User_Id" differs from "user_id" only in case/),
      },
    ],
    [
      'an unknown field type',
      (d) => (d.event_types[0].dimensions[0].type = 'uuid'),
      {
        path: ['event_types', 0, 'dimensions', 0, 'type'],
        message:
          'Invalid option: expected one of "string"|"int"|"long"|"float"|"double"|"boolean"|"timestamp"',
      },
    ],
    [
      'a misspelt key',
      (d) => (d.aggregations[0].groupby = []),
      { path: ['aggregations', 0], message: 'Unrecognized key: "groupby"' },
    ],
    [
      'a name that is not an identifier',
      (d) => (d.event_types[0].name = 'page-view'),
      {
        path: ['event_types', 0, 'name'],
        message:
          'must start with a letter or underscore and contain only letters, digits and underscores',
      },
    ],
    [
      'an aggregation over an unknown event type',
      (d) => (d.aggregations[0].event_type = 'click'),
      {
        path: ['aggregations', 0, 'event_type'],
        message: 'unknown event type "click"; declared: page_view, purchase',
      },
    ],
    [
      'a sum without a field',
      (d) => (d.aggregations[0].type = 'sum'),
      { path: ['aggregations', 0, 'field'], message: 'a sum aggregation needs a field' },
    ],
    [
      'a count with a field',
      (d) => (d.aggregations[0].field = 'page_url'),
      {
        path: ['aggregations', 0, 'field'],
        message: 'a count takes no field; use count_distinct to count distinct values',
      },
    ],
    [
      'an avg of a string field',
      (d) => Object.assign(d.aggregations[0], { type: 'avg', field: 'device_type' }),
      {
        path: ['aggregations', 0, 'field'],
        message: 'a avg needs a numeric field, and "device_type" is string',
      },
    ],
    [
      'a field the event type does not have',
      (d) => Object.assign(d.aggregations[0], { type: 'max', field: 'revenue' }),
      {
        path: ['aggregations', 0, 'field'],
        message: 'event type "page_view" has no field "revenue"',
      },
    ],
    [
      'grouping by an optional attribute',
      (d) => (d.aggregations[0].group_by = ['page_url']),
      {
        path: ['aggregations', 0, 'group_by', 0],
        message: '"page_url" is an optional attribute; group only by dimensions or the primary key',
      },
    ],
    [
      'a sliding window whose slide does not divide its size',
      (d) =>
        (d.aggregations[0].window = {
          type: 'sliding',
          duration: '10 minutes',
          slide: '3 minutes',
        }),
      {
        path: ['aggregations', 0, 'window', 'slide'],
        message: 'the slide (180000 ms) must divide the duration (600000 ms)',
      },
    ],
    [
      'a sliding window without a slide',
      (d) => (d.aggregations[0].window = { type: 'sliding', duration: '10 minutes' }),
      { path: ['aggregations', 0, 'window', 'slide'], message: 'a sliding window needs a slide' },
    ],
    [
      'a tumbling window with a gap',
      (d) => (d.aggregations[0].window.gap = '5m'),
      { path: ['aggregations', 0, 'window', 'gap'], message: 'a tumbling window takes no gap' },
    ],
    [
      'a duration that cannot be read',
      (d) => (d.aggregations[0].window.duration = 'a while'),
      {
        path: ['aggregations', 0, 'window', 'duration'],
        message:
          '"a while" is not a positive duration; write e.g. "30 seconds", "5 minutes", "1h" or a number of milliseconds',
      },
    ],
    [
      'a minimum above the maximum',
      (d) => (d.event_types[1].dimensions[0].min = 500),
      {
        path: ['event_types', 1, 'dimensions', 0, 'min'],
        message: 'min (500) is greater than max (100)',
      },
    ],
    [
      'an enumeration value of the wrong type',
      (d) => d.event_types[0].dimensions[0].values.push(3),
      {
        path: ['event_types', 0, 'dimensions', 0, 'values', 2],
        message: 'value 3 does not fit type string',
      },
    ],
    [
      'a completeness above one',
      (d) => (d.contract.sla.completeness = 1.5),
      { path: ['contract', 'sla', 'completeness'], message: 'Too big: expected number to be <=1' },
    ],
    [
      'an unknown mode',
      (d) => (d.contract.mode = 'batch'),
      { path: ['contract', 'mode'], message: 'Invalid option: expected one of "sync"|"async"' },
    ],
  ])('rejects %s, naming the key path and the reason', (_case, mutate, expected) => {
    expect(issuesOf(mutate)).toContainEqual(expected);
  });

  it('reports every problem at once, not only the first', () => {
    const issues = issuesOf((d) => {
      d.event_types[0].entity = 'customer';
      d.aggregations[0].type = 'sum';
    });
    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'event_types.0.entity',
      'aggregations.0.field',
    ]);
  });
});

describe('name lengths', () => {
  it('refuses names that PostgreSQL would cut: tables, their daily partitions and columns', () => {
    const longest = (n: number) => 'a'.repeat(n);
    const paths = (mutate: (d: Record<string, any>) => void) =>
      issuesOf(mutate).map((i) => `${i.path.join('.')}: ${i.message}`);
    // events_<45> is 52 characters, the longest an events table and its partitions allow.
    const fits = baseDomain() as Record<string, any>;
    fits['event_types'][0].name = longest(45);
    fits['aggregations'][0].event_type = longest(45);
    fits['aggregations'][0].name = longest(59);
    fits['event_types'][0].attributes.push(longest(63));
    expect(modelOf(fits).eventTypes[0]?.name).toHaveLength(45);
    expect(paths((d) => (d['event_types'][1].name = longest(46)))).toEqual([
      "event_types.1.name: must be at most 45 characters: its table events_<name> must fit 52 (PostgreSQL's limit on names, with the daily partitions)",
    ]);
    expect(paths((d) => (d['aggregations'][0].name = longest(60)))).toEqual([
      "aggregations.0.name: must be at most 59 characters: its table agg_<name> must fit 63 (PostgreSQL's limit on names)",
    ]);
    expect(paths((d) => d['event_types'][1].dimensions.push(longest(64)))).toEqual([
      "event_types.1.dimensions.2.name: must be at most 63 characters (PostgreSQL's limit)",
    ]);
  });
});

describe('event type retention', () => {
  it('reads a retention duration, and refuses one shorter than a day or unreadable', () => {
    const d = baseDomain() as Record<string, any>;
    d['event_types'][0].retention = '30 days';
    expect(modelOf(d).eventTypes[0]?.retentionMs).toBe(30 * 86_400_000);
    expect(modelOf(baseDomain()).eventTypes[0]?.retentionMs).toBeUndefined();
    expect(
      issuesOf((x) => (x['event_types'][0].retention = 'soon')).map((i) => i.path.join('.')),
    ).toEqual(['event_types.0.retention']);
    expect(issuesOf((x) => (x['event_types'][0].retention = '1h'))).toHaveLength(1);
  });
});

describe(parseDuration.name, () => {
  it.each([
    ['30 seconds', 30_000],
    ['5 minutes', 300_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    [1500, 1500],
  ])('reads %p as %p ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it('returns undefined for text that is not a duration', () => {
    expect(parseDuration('soon')).toBeUndefined();
  });
});
