/** What a secret is replaced with in logs. */
export const REDACTED = '[REDACTED]';

export interface ScrubOptions {
  /** What each occurrence becomes. Default {@link REDACTED}. */
  readonly mask?: string;
  /** Secrets shorter than this are left alone (short ones would mangle ordinary words). Default 1. */
  readonly minLength?: number;
}

/** `text` with every occurrence of each secret replaced; empty (or too short) secrets are skipped. */
export function scrubSecrets(
  text: string,
  secrets: readonly string[],
  options: ScrubOptions = {},
): string {
  const mask = options.mask ?? REDACTED;
  const minLength = Math.max(1, options.minLength ?? 1);
  let out = text;
  for (const secret of secrets) if (secret.length >= minLength) out = out.split(secret).join(mask);
  return out;
}
