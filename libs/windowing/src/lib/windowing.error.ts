export type WindowingErrorCode =
  | 'INVALID_SPEC'
  | 'INVALID_STATE'
  | 'STATE_SPEC_MISMATCH'
  | 'INVALID_ARGUMENT';

/**
 * A programming or configuration mistake: a bad spec, a corrupt snapshot or changelog entry,
 * state written by a different aggregation spec. Retrying cannot help. Expected outcomes
 * (late or invalid events) are returned, never thrown.
 */
export class WindowingError extends Error {
  readonly retriable = false;

  constructor(
    readonly code: WindowingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WindowingError';
  }
}
