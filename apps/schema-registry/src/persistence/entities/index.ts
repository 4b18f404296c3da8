import { CompatibilityConfigEntity } from './compatibility-config.entity';
import { SchemaEntity } from './schema.entity';
import { SubjectVersionEntity } from './subject-version.entity';

export { CompatibilityConfigEntity, SchemaEntity, SubjectVersionEntity };
export const REGISTRY_ENTITIES = [SchemaEntity, SubjectVersionEntity, CompatibilityConfigEntity];
