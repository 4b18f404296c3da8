import { parseJsonBody } from './json-body.parser';

describe(parseJsonBody.name, () => {
  it('parses a JSON object', () => {
    expect(parseJsonBody('{"schema":"\\"string\\""}')).toEqual({
      ok: true,
      value: { schema: '"string"' },
    });
  });

  it('reads an empty body as no body', () => {
    expect(parseJsonBody('')).toEqual({ ok: true, value: undefined });
    expect(parseJsonBody('  \n')).toEqual({ ok: true, value: undefined });
  });

  it('explains malformed JSON', () => {
    const result = parseJsonBody('{"schema": ');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^invalid JSON: /);
  });
});
