import {
  checkCompatibility,
  type CompatibilityLevel,
  type CompatibilityResult,
} from '@platform/schema-registry';

/** A previous version the candidate is checked against. */
export interface PreviousVersion {
  readonly version: number;
  readonly schemaText: string;
}

/** The versions a registration is checked against: the newest live one, or all of them for *_TRANSITIVE. */
export function versionsToCheck<T extends PreviousVersion>(
  live: readonly T[],
  level: CompatibilityLevel,
): readonly T[] {
  if (level === 'NONE' || live.length === 0) return [];
  return level.endsWith('_TRANSITIVE') ? live : live.slice(-1);
}

/**
 * {@link checkCompatibility} against the given versions (oldest first). The lib numbers the
 * versions by position; the messages here name the subject's real version numbers, which
 * differ once versions have been deleted.
 */
export function checkAgainst(
  candidate: string,
  previous: readonly PreviousVersion[],
  level: CompatibilityLevel,
): CompatibilityResult {
  const result = checkCompatibility(
    candidate,
    previous.map((p) => p.schemaText),
    level,
  );
  const messages = result.messages.map((message) =>
    message.replace(/against version (\d+)\)$/, (whole, position: string) => {
      const real = previous[Number(position) - 1]?.version;
      return real === undefined ? whole : `against version ${real})`;
    }),
  );
  return { compatible: result.compatible, messages };
}
