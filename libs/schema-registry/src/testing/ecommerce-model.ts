// Test support only (not exported from index.ts): the shipped ecommerce domain as a model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DomainModel, validateDomainModel } from '@platform/contracts';

export function loadEcommerceModel(): DomainModel {
  const text = readFileSync(join(__dirname, '../../../../config/domains/ecommerce.yaml'), 'utf8');
  const result = validateDomainModel(parse(text));
  if (!result.ok) throw new Error(`ecommerce.yaml is invalid: ${JSON.stringify(result.issues)}`);
  return result.model;
}
