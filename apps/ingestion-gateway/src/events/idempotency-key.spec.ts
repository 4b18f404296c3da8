import { idempotencyKey } from './idempotency-store';

describe(idempotencyKey.name, () => {
  // Keys stored in PostgreSQL must match across versions for the length of the window: these
  // are SHA-256 of `type NUL id` in base64url, as the gateway has always stored them.
  it.each([
    [
      'page_view',
      '0b7f9c1e-5d2a-4c1b-9e3f-2a6d8b4c7e10',
      'dtwm5S9lJ800OGenC6G7v9dSBOCh8--J0r8ZJNAZ8D4',
    ],
    ['purchase', 'order\u0000#7 é', 'E2U8Jpm4S4wlNF53WJ8_-mTEw02MkwiseDgkULVqByM'],
  ])('keys %s / %j as every earlier version did', (type, id, key) => {
    expect(idempotencyKey(type, id)).toBe(key);
  });

  it('gives a short key to any id a client may send', () => {
    expect(idempotencyKey('page_view', 'x'.repeat(8192))).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(idempotencyKey('page_view', 'a')).not.toBe(idempotencyKey('page_view', 'b'));
    expect(idempotencyKey('page_view', 'a')).not.toBe(idempotencyKey('purchase', 'a'));
  });
});
