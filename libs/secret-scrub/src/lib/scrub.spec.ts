import { REDACTED, scrubSecrets } from './scrub';

describe(scrubSecrets.name, () => {
  it('replaces every occurrence of each secret and ignores empty ones', () => {
    expect(scrubSecrets('a pw b pw', ['pw', ''])).toBe('a [REDACTED] b [REDACTED]');
    expect(REDACTED).toBe('[REDACTED]');
  });

  it('uses the mask given, and leaves secrets shorter than minLength alone', () => {
    expect(scrubSecrets('user abc, password hunter2', ['abc', 'hunter2'], { mask: '***' })).toBe(
      'user ***, password ***',
    );
    expect(
      scrubSecrets('user abc, password hunter2', ['abc', 'hunter2'], { mask: '***', minLength: 4 }),
    ).toBe('user abc, password ***');
  });

  it('leaves a text without secrets as it is', () => {
    expect(scrubSecrets('nothing to hide', [])).toBe('nothing to hide');
  });
});
