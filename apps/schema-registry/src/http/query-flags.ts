/** `?deleted=true`, `?permanent=true`, `?verbose=true`: anything but "true" is false, as in Confluent. */
export function queryFlag(value: unknown): boolean {
  return typeof value === 'string' && value.toLowerCase() === 'true';
}
