// Test support only (not exported from index.ts): the shipped ecommerce domain as a model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DomainModel } from '../model';
import { validateDomainModel } from '../validate';

export function ecommerceModel(): DomainModel {
  const file = join(__dirname, '../../../../config/domains/ecommerce.yaml');
  const result = validateDomainModel(parse(readFileSync(file, 'utf8')) as unknown);
  if (!result.ok) throw new Error(result.issues.map((i) => i.message).join('; '));
  return result.model;
}
