export * from './model';
export * from './naming';
export * from './lookup';
export { validateDomainModel, fieldsOf, parseDuration } from './validate';
export type { ContractIssue, DomainValidation } from './validate';
