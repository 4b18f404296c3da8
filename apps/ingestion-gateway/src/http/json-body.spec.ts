import { jsonDepth, parseJsonBody } from './json-body';

describe(parseJsonBody.name, () => {
  it('parses JSON within the depth limit', () => {
    expect(parseJsonBody('{"a":[1,{"b":"]]]]"}]}', 5)).toEqual({
      ok: true,
      value: { a: [1, { b: ']]]]' }] },
    });
  });

  it('refuses deep nesting before parsing, ignoring brackets inside strings', () => {
    expect(jsonDepth('["[[[[[[", "\\"[[["]', 3)).toBe(1);
    const result = parseJsonBody('['.repeat(100_000) + ']'.repeat(100_000), 32);
    expect(result).toMatchObject({ ok: false, error: { status: 400, code: 'TOO_DEEP' } });
  });

  it('refuses malformed and empty bodies with a reason', () => {
    expect(parseJsonBody('{"a":', 8)).toMatchObject({
      ok: false,
      error: { status: 400, code: 'MALFORMED_JSON' },
    });
    expect(parseJsonBody('  ', 8)).toMatchObject({ ok: false, error: { code: 'MALFORMED_JSON' } });
  });
});
