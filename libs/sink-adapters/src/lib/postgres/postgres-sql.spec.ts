import { parse } from 'csv-parse/sync';
import { AGG_SCHEMA, EVENTS_SCHEMA, HOSTILE_STRINGS } from '../testing/fixtures';
import { classifySqlState, toPostgresSinkError } from './postgres-errors';
import {
  conflictClause,
  copyCsvField,
  copyCsvLine,
  postgresType,
  typeormColumns,
  upsertFromStagingSql,
} from './postgres-sql';

describe(copyCsvField.name, () => {
  it('writes NULL as an unquoted empty field and the empty string quoted', () => {
    expect(copyCsvField(null, 'string')).toBe('');
    expect(copyCsvField('', 'string')).toBe('""');
  });

  it('doubles quotes inside strings', () => {
    expect(copyCsvField('say "hi"', 'string')).toBe('"say ""hi"""');
  });

  it('writes times as ISO-8601 UTC with milliseconds', () => {
    expect(copyCsvField(Date.UTC(2024, 0, 1, 0, 0, 0, 5), 'timestamp')).toBe(
      '2024-01-01T00:00:00.005Z',
    );
  });

  it('writes booleans and non-finite doubles as PostgreSQL reads them', () => {
    expect(copyCsvField(true, 'boolean')).toBe('t');
    expect(copyCsvField(NaN, 'double')).toBe('NaN');
    expect(copyCsvField(-Infinity, 'double')).toBe('-Infinity');
  });

  it('round-trips hostile strings through a CSV parser', () => {
    const specs = HOSTILE_STRINGS.map((_, i) => ({ name: `c${i}`, type: 'string' as const }));
    const line = copyCsvLine(HOSTILE_STRINGS, specs);
    expect(parse(line)).toEqual([HOSTILE_STRINGS]);
  });
});

describe(conflictClause.name, () => {
  it('ignores a replayed event', () => {
    expect(conflictClause(EVENTS_SCHEMA, ['event_id', 'ts'], 'target')).toBe(
      'ON CONFLICT ("event_id") DO NOTHING',
    );
  });

  it('updates a versioned row only with a strictly higher version', () => {
    expect(
      conflictClause(
        AGG_SCHEMA,
        ['window_start', 'window_end', 'device_type', 'value', 'version'],
        'target',
      ),
    ).toBe(
      'ON CONFLICT ("window_start", "window_end", "device_type") DO UPDATE SET "value" = EXCLUDED."value", ' +
        '"version" = EXCLUDED."version" WHERE "target"."version" < EXCLUDED."version"',
    );
  });
});

describe(upsertFromStagingSql.name, () => {
  it('keeps one row per key, the highest version', () => {
    const sql = upsertFromStagingSql('s', 'agg', '_stage', AGG_SCHEMA, [
      'window_start',
      'window_end',
      'device_type',
      'version',
    ]);
    expect(sql).toContain('INSERT INTO "s"."agg" AS "target"');
    expect(sql).toContain(
      'SELECT DISTINCT ON ("window_start", "window_end", "device_type") "window_start", "window_end", "device_type", "version" FROM "_stage"',
    );
    expect(sql).toContain('ORDER BY "window_start", "window_end", "device_type", "version" DESC');
  });
});

describe(typeormColumns.name, () => {
  it('maps types, ms-precision timestamptz and the primary key', () => {
    expect(typeormColumns(AGG_SCHEMA)[0]).toEqual({
      name: 'window_start',
      type: 'timestamptz',
      precision: 3,
      isNullable: false,
      isPrimary: true,
    });
    expect(typeormColumns(AGG_SCHEMA)[3]).toMatchObject({
      type: 'double precision',
      isNullable: true,
      isPrimary: false,
    });
    expect(postgresType('long')).toBe('bigint');
  });
});

describe(classifySqlState.name, () => {
  it.each([
    ['08006', 'CONNECTION', true],
    ['53300', 'TOO_MANY_CONNECTIONS', true],
    ['40001', 'SERIALIZATION', true],
    ['40P01', 'SERIALIZATION', true],
    ['57014', 'TIMEOUT', true],
    ['42601', 'SYNTAX', false],
    ['42P01', 'UNKNOWN_TABLE', false],
    ['23505', 'CONSTRAINT', false],
    ['22P02', 'TYPE', false],
  ])('%s is %s (retriable: %s)', (state, code, retriable) => {
    const error = toPostgresSinkError(Object.assign(new Error('x'), { code: state }), 'test');
    expect(classifySqlState(state)).toBe(code);
    expect([error.code, error.retriable]).toEqual([code, retriable]);
  });

  it('treats a refused connection as retriable', () => {
    const error = toPostgresSinkError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'connect',
    );
    expect([error.code, error.retriable]).toEqual(['CONNECTION', true]);
  });
});
