// Ingestion processors: a chain of steps every event goes through before it is validated and
// sent, registered by name and enabled per domain (`processors:` in the domain file).
import { geoUa } from './lib/geo-ua';
import { piiHash } from './lib/pii-hash';
import { ProcessorRegistry } from './lib/registry';

export { deadLetter, drop, runChain } from './lib/chain';
export type {
  EventContext,
  EventProcessor,
  Next,
  ProcessorOutcome,
  RequestFacts,
} from './lib/chain';
export { ProcessorConfigError, ProcessorRegistry } from './lib/registry';
export type { ProcessorFactory, ProcessorSetup } from './lib/registry';
export { parseOptions, requireStringField } from './lib/options';
export { geoUa, piiHash };

/** A registry holding the built-in processors: `pii-hash` and `geo-ua`. */
export function builtInProcessors(): ProcessorRegistry {
  return new ProcessorRegistry().register('pii-hash', piiHash).register('geo-ua', geoUa);
}
