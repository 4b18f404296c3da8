import { Injectable } from '@nestjs/common';
import { REGISTRY_ERROR_CODES, RegistryError } from '../errors/registry.error';
import { RegistryStore } from '../persistence/registry.store';
import { candidateSchema } from '../schemas/candidate-schema';
import type { VersionId } from '../subjects/version-id';
import { checkAgainst, versionsToCheck, type PreviousVersion } from './compatibility-check';

export interface CompatibilityResponse {
  readonly is_compatible: boolean;
  readonly messages?: readonly string[];
}

/** "Would this schema be accepted?" without registering it, under the subject's level. */
@Injectable()
export class CompatibilityService {
  constructor(private readonly store: RegistryStore) {}

  /**
   * Against one version. `latest` of a subject with no live version is compatible (there is
   * nothing to break), as in Confluent; a numbered version must exist (40402, whether or not
   * the subject does).
   */
  async checkVersion(
    subject: string,
    versionId: VersionId,
    schemaText: string,
    verbose: boolean,
  ): Promise<CompatibilityResponse> {
    const live = (await this.store.versions(subject)).filter((row) => !row.deleted);
    const target: PreviousVersion | undefined =
      versionId === 'latest' ? live.at(-1) : live.find((row) => row.version === versionId);
    if (!target && versionId !== 'latest') throw RegistryError.versionNotFound(versionId);
    const invalid = invalidCandidate(schemaText, verbose);
    if (invalid) return invalid;
    if (!target) return respond(true, [], verbose);
    const level = await this.store.effectiveLevel(subject);
    const result =
      level === 'NONE'
        ? { compatible: true, messages: [] }
        : checkAgainst(schemaText, [target], level);
    return respond(result.compatible, result.messages, verbose);
  }

  /** Against the versions a registration would be checked against (latest, or all for *_TRANSITIVE). */
  async checkSubject(
    subject: string,
    schemaText: string,
    verbose: boolean,
  ): Promise<CompatibilityResponse> {
    const invalid = invalidCandidate(schemaText, verbose);
    if (invalid) return invalid;
    const live = (await this.store.versions(subject)).filter((row) => !row.deleted);
    const level = await this.store.effectiveLevel(subject);
    const result = checkAgainst(schemaText, versionsToCheck(live, level), level);
    return respond(result.compatible, result.messages, verbose);
  }
}

function respond(
  compatible: boolean,
  messages: readonly string[],
  verbose: boolean,
): CompatibilityResponse {
  return verbose ? { is_compatible: compatible, messages } : { is_compatible: compatible };
}

/**
 * Undefined when the candidate parses. An invalid one is 42201, or with `verbose` an
 * incompatible answer that says why, as in Confluent.
 */
function invalidCandidate(schemaText: string, verbose: boolean): CompatibilityResponse | undefined {
  try {
    candidateSchema(schemaText);
    return undefined;
  } catch (error) {
    if (
      verbose &&
      error instanceof RegistryError &&
      error.errorCode === REGISTRY_ERROR_CODES.INVALID_SCHEMA
    )
      return respond(false, [error.message], verbose);
    throw error;
  }
}
