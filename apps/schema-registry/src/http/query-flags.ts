import { RegistryError } from '../errors/registry.error';

/** `?deleted=true`, `?permanent=true`, `?verbose=true`: anything but "true" is false, as in Confluent. */
export function queryFlag(value: unknown): boolean {
  return typeof value === 'string' && value.toLowerCase() === 'true';
}

/** `?subjectPrefix=` and other text parameters: a repeated or missing one is empty. */
export function queryText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** `?offset=&limit=` of a listing: from `offset` (default 0), at most `limit` items (none: all). */
export interface Page {
  readonly offset: number;
  readonly limit: number | undefined;
}

/**
 * A listing's page. As in Confluent, a `limit` of zero or below means no limit; a value that is
 * not a whole number is a 400 (Confluent's REST layer refuses it too).
 */
export function queryPage(offset: unknown, limit: unknown): Page {
  const whole = (name: string, value: unknown): number | undefined => {
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !/^-?\d{1,9}$/.test(value))
      throw RegistryError.badRequest(
        `${name} must be a whole number, got ${JSON.stringify(value)}`,
      );
    return Number(value);
  };
  const from = whole('offset', offset) ?? 0;
  if (from < 0) throw RegistryError.badRequest(`offset must not be negative, got ${from}`);
  const max = whole('limit', limit);
  return { offset: from, limit: max === undefined || max <= 0 ? undefined : max };
}

/** `items` cut to `page`. */
export function pageOf<T>(items: readonly T[], page: Page): T[] {
  return items.slice(page.offset, page.limit === undefined ? undefined : page.offset + page.limit);
}
