export type SyntheticErrorCode = 'SYNTHETIC_BAD_OPTION' | 'SYNTHETIC_UNKNOWN_EVENT_TYPE';

/** A caller mistake (bad option, unknown event type): retrying cannot help. */
export class SyntheticError extends Error {
  override readonly name = 'SyntheticError';
  readonly retriable = false;

  constructor(
    readonly code: SyntheticErrorCode,
    message: string,
  ) {
    super(message);
  }
}
