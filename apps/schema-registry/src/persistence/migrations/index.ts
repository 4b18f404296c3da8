import { InitialSchema1732530000000 } from './1732530000000-initial-schema';

/** In order. Listed explicitly so that ts-node, jest and a bundle all find the same set. */
export const REGISTRY_MIGRATIONS = [InitialSchema1732530000000];
