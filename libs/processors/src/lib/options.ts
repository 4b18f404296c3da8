import type { z } from 'zod';
import { ProcessorConfigError, type ProcessorSetup } from './registry';

/** A processor's options through its schema, or a `ProcessorConfigError` naming each problem. */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  throw new ProcessorConfigError(
    parsed.error.issues
      .map((issue) => `options.${issue.path.map(String).join('.') || '<root>'}: ${issue.message}`)
      .join('; '),
  );
}

/** Checks that `name` is a string field of the event type. */
export function requireStringField(setup: ProcessorSetup, name: string, option: string): void {
  const type = setup.fields.get(name);
  if (type === undefined)
    throw new ProcessorConfigError(`${option}: ${setup.eventType.name} has no field ${name}`);
  if (type !== 'string')
    throw new ProcessorConfigError(`${option}: ${name} is ${type}, a string field is needed`);
}
