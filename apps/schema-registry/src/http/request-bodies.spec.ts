import { RegistryError } from '../errors/registry.error';
import { parseCompatibilityLevel, parseConfigRequest, parseSchemaRequest } from './request-bodies';

const codeOf = (work: () => unknown): number | undefined => {
  try {
    work();
  } catch (err) {
    return err instanceof RegistryError ? err.errorCode : undefined;
  }
  return undefined;
};

describe(parseSchemaRequest.name, () => {
  it('takes the schema and ignores what Confluent clients add', () => {
    expect(
      parseSchemaRequest({
        schema: '"string"',
        schemaType: 'AVRO',
        references: [],
        metadata: null,
      }),
    ).toEqual({
      schema: '"string"',
    });
    expect(parseSchemaRequest({ schema: '"string"', schemaType: null })).toEqual({
      schema: '"string"',
    });
  });

  it.each([
    ['no body', undefined, 422],
    ['an array', [1], 422],
    ['a schema that is not a string', { schema: 1 }, 422],
    ['no schema', {}, 42201],
    ['an empty schema', { schema: ' ' }, 42201],
    ['another schema type', { schema: '{}', schemaType: 'PROTOBUF' }, 42201],
    ['references', { schema: '{}', references: [{ name: 'x', subject: 'y', version: 1 }] }, 42201],
  ])('refuses %s with %i', (_label, body, code) => {
    expect(codeOf(() => parseSchemaRequest(body))).toBe(code);
  });
});

describe(parseCompatibilityLevel.name, () => {
  it('accepts levels in any case', () => {
    expect(parseCompatibilityLevel('backward_transitive')).toBe('BACKWARD_TRANSITIVE');
    expect(parseCompatibilityLevel('NONE')).toBe('NONE');
  });

  it.each(['SIDEWAYS', '', 3, null])('refuses %p with 42203', (raw) => {
    expect(codeOf(() => parseCompatibilityLevel(raw))).toBe(42203);
  });
});

describe(parseConfigRequest.name, () => {
  it('reads {compatibility}', () => {
    expect(parseConfigRequest({ compatibility: 'full' })).toBe('FULL');
  });

  it('refuses a body without a level with 42203', () => {
    expect(codeOf(() => parseConfigRequest({ compatibilityLevel: 'FULL' }))).toBe(42203);
  });
});
