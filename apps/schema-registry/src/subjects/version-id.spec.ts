import { RegistryError } from '../errors/registry.error';
import { parseVersionId, versionIdOrThrow } from './version-id';

describe(parseVersionId.name, () => {
  it.each([
    ['latest', 'latest'],
    ['-1', 'latest'],
    ['1', 1],
    ['42', 42],
    ['2147483647', 2147483647],
  ])('reads %s as %s', (raw, expected) => {
    expect(parseVersionId(raw)).toBe(expected);
  });

  it.each(['0', '-2', 'abc', '1.5', '', ' 1', 'LATEST', '2147483648', '1e3', '0x10'])(
    'rejects %p',
    (raw) => {
      expect(parseVersionId(raw)).toBeNull();
    },
  );
});

describe(versionIdOrThrow.name, () => {
  it('throws 42202 with the offending text for an invalid version', () => {
    const error = (() => {
      try {
        versionIdOrThrow('abc');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ errorCode: 42202, status: 422 });
    expect((error as RegistryError).message).toContain("'abc'");
  });
});
