// Test support only: a small web domain with processors, parsed as a domain file would be.
import { validateDomainModel, type DomainModel } from '@platform/contracts';

export const HASH_KEY = 'a-test-key-of-32-characters-----';

export function webModel(processors: unknown[]): DomainModel {
  const result = validateDomainModel({
    domain: 'web',
    version: 'v1',
    contract: {},
    entities: { visitor: { primary_key: 'visitor_id' } },
    event_types: [
      {
        name: 'visit',
        entity: 'visitor',
        attributes: ['email', 'browser', 'os', 'country'],
        dimensions: [{ name: 'device_type', values: ['desktop', 'mobile', 'tablet'] }],
      },
      { name: 'signup', entity: 'visitor', attributes: ['email', { name: 'age', type: 'int' }] },
    ],
    processors,
  });
  if (!result.ok)
    throw new Error(result.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.model;
}
