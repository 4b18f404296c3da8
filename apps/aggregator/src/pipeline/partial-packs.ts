// The partials a source task sends to one repartition partition in one transaction travel
// in a few records (packs) rather than one record each: fewer records to encode, send,
// fetch and decode. A pack is a JSON array of serialized partials.

/** A pack stays well under the broker's default record size limit (1 MiB). */
export const MAX_PACK_BYTES = 512 * 1024;

/** JSON arrays of the serialized partials, each at most `maxBytes` unless one partial is larger. */
export function packPartials(partials: readonly string[], maxBytes: number): string[] {
  const packs: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const partial of partials) {
    const size = Buffer.byteLength(partial) + 1;
    if (current.length > 0 && bytes + size > maxBytes) {
      packs.push(`[${current.join(',')}]`);
      current = [];
      bytes = 2;
    }
    current.push(partial);
    bytes += size;
  }
  if (current.length > 0) packs.push(`[${current.join(',')}]`);
  return packs;
}
