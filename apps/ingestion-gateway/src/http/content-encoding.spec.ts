import { decoderFor } from './content-encoding';

describe(decoderFor.name, () => {
  it.each([undefined, '', 'identity', ' Identity '])('reads %p as no encoding', (header) => {
    expect(decoderFor(header)).toEqual({ ok: true, decoder: null });
  });

  it.each(['gzip', 'x-gzip', 'GZIP', 'deflate'])('decodes %s', (header) => {
    const chosen = decoderFor(header);
    expect(chosen.ok && chosen.decoder !== null).toBe(true);
  });

  it.each(['zstd', 'br', 'compress', 'gzip, br', 'gzip;q=1'])('refuses %s with 415', (header) => {
    const chosen = decoderFor(header);
    expect(chosen.ok).toBe(false);
    if (!chosen.ok) {
      expect(chosen.error.status).toBe(415);
      expect(chosen.error.code).toBe('UNSUPPORTED_ENCODING');
    }
  });
});
