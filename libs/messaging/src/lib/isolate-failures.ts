import { isRetriable } from './backoff';

export interface IsolatedFailure<T> {
  readonly item: T;
  readonly error: unknown;
}

/**
 * Writes `items` with `write`; when that fails for good (a non-retriable error), splits the
 * group in halves and writes each, down to single items, so the bad item(s) are found and
 * everything else is written. Returns the items that fail alone, with their error.
 *
 * A retriable error anywhere is rethrown unchanged: the caller retries the whole batch (the
 * writes are idempotent, so what was already written is written again harmlessly). The
 * halves are written in order, left first.
 */
export async function writeIsolatingFailures<T>(
  items: readonly T[],
  write: (group: readonly T[]) => Promise<void>,
): Promise<IsolatedFailure<T>[]> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (error) {
    if (isRetriable(error)) throw error;
    if (items.length === 1) return [{ item: items[0] as T, error }];
    const middle = Math.ceil(items.length / 2);
    const left = await writeIsolatingFailures(items.slice(0, middle), write);
    const right = await writeIsolatingFailures(items.slice(middle), write);
    return [...left, ...right];
  }
}
