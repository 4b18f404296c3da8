// The one public door of @platform/secret-scrub.
export { REDACTED, scrubSecrets } from './lib/scrub';
export type { ScrubOptions } from './lib/scrub';
