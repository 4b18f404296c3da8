import { InitialSchema1732530000000 } from './1732530000000-initial-schema';
import { CanonicalForm1765000000000 } from './1765000000000-canonical-form';
import { CanonicalFormDefaults1767000000000 } from './1767000000000-canonical-form-defaults';

/** In order. Listed explicitly so that ts-node, jest and a bundle all find the same set. */
export const REGISTRY_MIGRATIONS = [
  InitialSchema1732530000000,
  CanonicalForm1765000000000,
  CanonicalFormDefaults1767000000000,
];
