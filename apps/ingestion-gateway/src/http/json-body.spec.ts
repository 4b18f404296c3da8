import fc from 'fast-check';
import {
  bracketsAtMost,
  jsonDepth,
  parseJson,
  parseJsonBody,
  utf8Body,
  utf8Charset,
} from './json-body';

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

/** Pieces of text that exercise a depth scan: brackets, quotes, escapes and filler. */
const piece = fc.constantFrom('{', '}', '[', ']', '"', '\\', '\\"', 'a', ',', ':', ' ');

/** The scan a character at a time: what `jsonDepth` must agree with on any text. */
function depthOneCharAtATime(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === '}' || c === ']') depth--;
  }
  return max;
}

describe(`${jsonDepth.name} against a scan a character at a time`, () => {
  it('agrees on any text of brackets, quotes and backslashes, JSON or not', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 80 }),
        fc.integer({ min: 0, max: 8 }),
        (pieces, limit) => {
          const text = pieces.join('');
          expect(jsonDepth(text, limit)).toBe(depthOneCharAtATime(text, limit));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('agrees on real JSON with escapes in its strings', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        expect(jsonDepth(text, 64)).toBe(depthOneCharAtATime(text, 64));
      }),
      { numRuns: 2_000 },
    );
  });
});

/** `JSON.parse`'s value, or the message it throws. */
function parsedOrError(parse: (text: string) => unknown, text: string): unknown {
  try {
    return { value: parse(text) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe(`${parseJson.name} against JSON.parse`, () => {
  it("builds an envelope equal to the parsed one, with the whole text's error otherwise", () => {
    const envelopeOf = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join('')),
    );
    fc.assert(
      fc.property(
        envelopeOf,
        fc.constantFrom('', ' ', '}', ',"events":[]', ',"x":1'),
        (member, tail) => {
          const text = `{"events":${member}${tail}}`;
          expect(parsedOrError(parseJson, text)).toEqual(parsedOrError(JSON.parse, text));
        },
      ),
    );
  });

  it('keeps the last of repeated members and refuses a truncated envelope as JSON.parse does', () => {
    expect(parseJson('{"events":[1],"events":[2]}')).toEqual({ events: [2] });
    // The position is the whole text's, not the member's.
    expect(() => parseJson('{"events":[{"type":"a"}]')).toThrow('at position 24');
  });
});

describe(bracketsAtMost.name, () => {
  it('holds only where the depth is within the limit, so the scan it skips would pass', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.integer({ min: 0, max: 8 }),
        (pieces, limit) => {
          const text = pieces.join('');
          if (bracketsAtMost(text, limit))
            expect(jsonDepth(text, limit)).toBeLessThanOrEqual(limit);
          // parseJsonBody refuses as too deep exactly what the full scan finds too deep.
          const tooDeep = jsonDepth(text, limit) > limit;
          const result = parseJsonBody(text, limit);
          expect(!result.ok && result.error.code === 'TOO_DEEP').toBe(
            tooDeep && text.trim() !== '',
          );
        },
      ),
      { numRuns: 5_000 },
    );
    expect(bracketsAtMost('{"a":[1,{"b":2}]}', 3)).toBe(true);
    expect(bracketsAtMost('{"a":"[[[["}', 3)).toBe(false);
  });
});

describe(utf8Body.name, () => {
  it('decodes UTF-8, emoji and all, and refuses bytes that are not UTF-8', () => {
    expect(utf8Body(Buffer.from('{"a":"é😀"}'))).toEqual({ ok: true, text: '{"a":"é😀"}' });
    for (const bytes of [[0xe9], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xf0, 0x9f]]) {
      const decoded = utf8Body(Buffer.from([0x22, ...bytes, 0x22]));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.error.message).toBe('the request body is not valid UTF-8');
    }
  });
});

describe(utf8Charset.name, () => {
  it('takes no charset or UTF-8 in any spelling, and nothing else', () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset=UTF8',
      'text/plain; charset="utf-8"',
    ])
      expect(utf8Charset(type)).toBe(true);
    for (const type of ['application/json; charset=iso-8859-1', 'application/json; charset=utf-16'])
      expect(utf8Charset(type)).toBe(false);
  });
});
