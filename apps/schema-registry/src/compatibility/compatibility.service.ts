import { Injectable } from '@nestjs/common';
import { RegistryError } from '../errors/registry.error';
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
   * nothing to break), as in Confluent; a numbered version must exist.
   */
  async checkVersion(
    subject: string,
    versionId: VersionId,
    schemaText: string,
    verbose: boolean,
  ): Promise<CompatibilityResponse> {
    candidateSchema(schemaText);
    const live = (await this.store.versions(subject)).filter((row) => !row.deleted);
    let target: PreviousVersion | undefined;
    if (versionId === 'latest') {
      target = live.at(-1);
    } else {
      if (live.length === 0) throw RegistryError.subjectNotFound(subject);
      target = live.find((row) => row.version === versionId);
      if (!target) throw RegistryError.versionNotFound(versionId);
    }
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
    candidateSchema(schemaText);
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
