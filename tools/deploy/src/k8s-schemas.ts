/**
 * Validates rendered Kubernetes objects against the published schemas, strictly (an unknown
 * or misspelled field is an error, as with `kubectl apply --validate=strict`):
 *
 * - Kubernetes kinds, and the KEDA, prometheus-operator and External Secrets custom resources,
 *   against the models generated from their OpenAPI schemas (npm `kubernetes-models`,
 *   `@kubernetes-models/{keda,prometheus-operator,external-secrets}`): their validators for
 *   types, formats, enums and required fields (in a child process: the packages are ESM),
 *   and their TypeScript interfaces for unknown fields (the objects are type-checked as
 *   object literals, whose excess properties TypeScript rejects at any depth);
 * - Strimzi and ClickHouse-operator resources against the CRDs vendored in tools/deploy/crds,
 *   with unknown fields refused wherever the schema does not keep them
 *   (`x-kubernetes-preserve-unknown-fields`).
 *
 * Rendering uses `kubectl kustomize` (kubectl's built-in kustomize; no cluster).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './build-service';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
};

export const describeObject = (o: K8sObject): string =>
  `${o.kind}/${o.metadata?.name ?? '?'} (${o.apiVersion})`;

/** Every object `kubectl kustomize <dir>` renders. */
export function renderKustomization(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', join(REPO_ROOT, dir)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not installed: it renders the overlays');
    throw new Error(`kubectl kustomize ${dir}: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((d): d is K8sObject => d !== null);
}

/** npm package (with its group folder) of the generated models for an API group. */
const MODEL_PACKAGES: Record<string, string> = {
  '': 'kubernetes-models',
  'keda.sh': '@kubernetes-models/keda/keda.sh',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator/monitoring.coreos.com',
  'external-secrets.io': '@kubernetes-models/external-secrets/external-secrets.io',
};
const CORE_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'autoscaling',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
]);

/** The module of the generated model of `o`, or undefined when no package covers its group. */
export function modelModule(o: Pick<K8sObject, 'apiVersion' | 'kind'>): string | undefined {
  const slash = o.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : o.apiVersion.slice(0, slash);
  const version = slash < 0 ? o.apiVersion : o.apiVersion.slice(slash + 1);
  if (CORE_GROUPS.has(group)) {
    return `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${o.kind}`;
  }
  const pkg = MODEL_PACKAGES[group];
  return pkg === undefined ? undefined : `${pkg}/${version}/${o.kind}`;
}

// ---- vendored CRDs -----------------------------------------------------------------------

export interface OpenApiSchema {
  type?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  additionalProperties?: OpenApiSchema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const CRD_DIR = join(__dirname, '..', 'crds');

/** `<group>/<version>/<kind>` → schema, from every CRD in tools/deploy/crds. */
export function vendoredSchemas(dir: string = CRD_DIR): Map<string, OpenApiSchema> {
  const schemas = new Map<string, OpenApiSchema>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const crd = parse(readFileSync(join(dir, file), 'utf8')) as {
      spec: {
        group: string;
        names: { kind: string };
        versions: { name: string; schema: { openAPIV3Schema: OpenApiSchema } }[];
      };
    };
    for (const v of crd.spec.versions) {
      schemas.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, v.schema.openAPIV3Schema);
    }
  }
  return schemas;
}

const typeOf = (value: unknown): string => {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
};

/**
 * Structural-schema validation: type, properties, required, items, enum, minimum, maximum,
 * pattern, additionalProperties. An object with declared properties and no
 * `x-kubernetes-preserve-unknown-fields` accepts no other key (the API server prunes them,
 * strict validation refuses them).
 */
export function validateSchema(value: unknown, schema: OpenApiSchema, path = ''): string[] {
  const at = path === '' ? '/' : path;
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) return [`${at}: expected ${schema.type}, got ${actual}`];
  }
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errors.push(`${at}: ${value} is below the minimum ${schema.minimum}`);
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errors.push(`${at}: ${value} is above the maximum ${schema.maximum}`);
    }
  }
  if (typeof value === 'string' && schema.pattern !== undefined) {
    if (!new RegExp(schema.pattern).test(value)) {
      errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) =>
      errors.push(...validateSchema(item, schema.items as OpenApiSchema, `${path}/${i}`)),
    );
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in object)) errors.push(`${at}: missing required field "${key}"`);
    }
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    for (const [key, child] of Object.entries(object)) {
      const declared = schema.properties?.[key];
      if (declared !== undefined) {
        errors.push(...validateSchema(child, declared, `${path}/${key}`));
      } else if (typeof schema.additionalProperties === 'object') {
        errors.push(...validateSchema(child, schema.additionalProperties, `${path}/${key}`));
      } else if (
        schema.properties !== undefined &&
        !preserve &&
        schema.additionalProperties !== true
      ) {
        errors.push(`${path}/${key}: unknown field "${key}"`);
      }
    }
  }
  return errors;
}

// ---- generated models: runtime validators and TypeScript interfaces ----------------------

/** Runs each model's `validate()` (the schema's types, formats, enums, required fields). */
export function validateWithModels(objects: readonly K8sObject[]): string[][] {
  const input = objects.map((o) => ({ module: modelModule(o) as string, object: o }));
  const out = execFileSync(
    process.execPath,
    [require.resolve('tsx/cli'), join(__dirname, 'k8s-models-check.ts')],
    { cwd: REPO_ROOT, input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out) as string[][];
}

/**
 * Type-checks each object as an object literal of its model's interface: unknown fields
 * (excess properties) and wrong types are TypeScript errors, reported per object.
 */
export function typeCheckWithModels(objects: readonly K8sObject[]): string[][] {
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'deploy-k8s-typecheck');
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'run-'));
  try {
    const file = join(work, 'objects.mts');
    const lines: string[] = [];
    const starts: number[] = [];
    objects.forEach((o, i) => {
      starts.push(lines.length);
      const module = modelModule(o) as string;
      lines.push(`import type { I${o.kind} as T${i} } from '${module}';`);
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(o, null, 1)};`);
    });
    writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    const errors: string[][] = objects.map(() => []);
    const source = program.getSourceFile(file);
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file === undefined || d.file !== source || d.start === undefined) {
        errors.forEach((e) => e.push(message));
        continue;
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      let index = 0;
      while (index + 1 < starts.length && (starts[index + 1] as number) <= line) index += 1;
      const text = d.file.text.split('\n')[line]?.trim() ?? '';
      errors[index]?.push(`${message} (at ${text.slice(0, 80)})`);
    }
    return errors;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface ValidationResult {
  readonly object: K8sObject;
  /** `models`, or `crd:<group>/<version>/<kind>`. */
  readonly against: string;
  readonly errors: readonly string[];
}

/** Every object against its schema; an object no schema covers is an error itself. */
export function validateObjects(objects: readonly K8sObject[]): ValidationResult[] {
  const crds = vendoredSchemas();
  const modelled = objects.filter((o) => modelModule(o) !== undefined);
  const runtime = modelled.length > 0 ? validateWithModels(modelled) : [];
  const typed = modelled.length > 0 ? typeCheckWithModels(modelled) : [];
  return objects.map((object) => {
    const i = modelled.indexOf(object);
    if (i >= 0) {
      return { object, against: 'models', errors: [...(runtime[i] ?? []), ...(typed[i] ?? [])] };
    }
    const key = `${object.apiVersion}/${object.kind}`;
    const schema = crds.get(key);
    if (schema === undefined) {
      return {
        object,
        against: 'none',
        errors: [`no schema for ${key}: vendor its CRD in tools/deploy/crds`],
      };
    }
    return { object, against: `crd:${key}`, errors: validateSchema(object, schema) };
  });
}
