import { csvSource } from './csv-source';
import { SourceRegistry } from './event-source';
import { httpPollSource } from './http-poll-source';
import { syntheticSource } from './synthetic-source';

/** The sources `--source` knows without `--plugin`. */
export function builtinSources(): SourceRegistry {
  return new SourceRegistry([syntheticSource, csvSource, httpPollSource]);
}
