import { Injectable, Logger } from '@nestjs/common';
import type { CompatibilityLevel } from '@platform/schema-registry';
import { RegistryError } from '../errors/registry.error';
import { DEFAULT_COMPATIBILITY_LEVEL, RegistryStore } from '../persistence/registry.store';

/** Compatibility levels: one global (BACKWARD unless set) and optionally one per subject. */
@Injectable()
export class CompatibilityConfigService {
  private readonly logger = new Logger(CompatibilityConfigService.name);

  constructor(private readonly store: RegistryStore) {}

  async globalLevel(): Promise<CompatibilityLevel> {
    return (await this.store.configuredLevel(null)) ?? DEFAULT_COMPATIBILITY_LEVEL;
  }

  async setGlobalLevel(level: CompatibilityLevel): Promise<CompatibilityLevel> {
    await this.store.setLevel(null, level);
    this.logger.log({ event: 'compatibility_set', scope: 'global', level });
    return level;
  }

  /** Back to the default; the level that was in force. */
  async resetGlobalLevel(): Promise<CompatibilityLevel> {
    const previous = (await this.store.deleteLevel(null)) ?? DEFAULT_COMPATIBILITY_LEVEL;
    this.logger.log({ event: 'compatibility_reset', scope: 'global', previous });
    return previous;
  }

  /** The subject's own level; with `defaultToGlobal` the global one when it has none, else 40408. */
  async subjectLevel(subject: string, defaultToGlobal: boolean): Promise<CompatibilityLevel> {
    const own = await this.store.configuredLevel(subject);
    if (own) return own;
    if (defaultToGlobal) return this.globalLevel();
    throw RegistryError.subjectCompatibilityNotConfigured(subject);
  }

  async setSubjectLevel(subject: string, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    await this.store.setLevel(subject, level);
    this.logger.log({ event: 'compatibility_set', scope: 'subject', subject, level });
    return level;
  }

  /** Removes the subject's own level (it then follows the global one); the removed level, or 40401. */
  async deleteSubjectLevel(subject: string): Promise<CompatibilityLevel> {
    const previous = await this.store.deleteLevel(subject);
    if (!previous) throw RegistryError.subjectNotFound(subject);
    this.logger.log({ event: 'compatibility_reset', scope: 'subject', subject, previous });
    return previous;
  }
}
