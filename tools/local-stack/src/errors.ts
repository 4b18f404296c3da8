/** An error whose message is meant for the person running the stack: one clear line (plus an optional log tail). */
export class StackError extends Error {
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'StackError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
