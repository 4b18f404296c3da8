import { redactSecrets } from './redact';

describe(redactSecrets.name, () => {
  it('redacts secret-named keys at any depth and leaves the rest', () => {
    expect(
      redactSecrets({ a: 1, ssl: { key: 'k' }, deep: [{ password: 'p', ok: 'yes' }] }),
    ).toEqual({
      a: 1,
      ssl: '[REDACTED]',
      deep: [{ password: '[REDACTED]', ok: 'yes' }],
    });
  });

  it('reduces errors and buffers to safe summaries', () => {
    expect(redactSecrets({ e: new Error('boom pw1'), b: Buffer.from('abc') }, ['pw1'])).toEqual({
      e: { name: 'Error', message: 'boom [REDACTED]' },
      b: '<Buffer 3 bytes>',
    });
  });
});
