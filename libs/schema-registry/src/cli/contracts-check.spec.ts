import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TOPIC_PREFIXES } from '@platform/contracts';
import { SchemaRegistryError } from '../client/schema-registry.error';
import type { CompatibilityLevel } from '../compatibility';
import { loadEcommerceModel } from '../testing/ecommerce-model';
import {
  addOptionalAttribute,
  addRequiredDimension,
  editedEcommerceYaml,
  modelOf,
} from '../testing/domain-yaml';
import {
  checkAgainstBaseline,
  checkAgainstRegistry,
  contractSchemas,
  formatCheckReport,
  readBaseline,
  registerContracts,
  writeBaseline,
  type ContractsRegistry,
} from './contracts-check';

const current = contractSchemas(loadEcommerceModel(), DEFAULT_TOPIC_PREFIXES);
const baseline = new Map(current.map((c) => [c.subject, c.schema]));
const schemasAfter = (edit: Parameters<typeof editedEcommerceYaml>[0]) =>
  contractSchemas(modelOf(editedEcommerceYaml(edit)), DEFAULT_TOPIC_PREFIXES);

const notFound = (errorCode: number) =>
  new SchemaRegistryError({
    failure: 'http',
    method: 'GET',
    path: '/subjects/x/versions/latest',
    status: 404,
    errorCode,
    serverMessage: 'not found',
    retriable: false,
  });

describe(contractSchemas.name, () => {
  it('names event subjects <events>.<type>-value and aggregate subjects <aggregates>.<name>-value', () => {
    expect(current.map((c) => c.subject)).toEqual([
      'events.page_view-value',
      'events.add_to_cart-value',
      'events.purchase-value',
      'aggregates.page_views_per_minute-value',
      'aggregates.revenue_per_5_minutes-value',
      'aggregates.active_users_sliding-value',
      'aggregates.cart_sessions-value',
    ]);
  });

  it('follows the configured topic prefixes', () => {
    const prefixed = contractSchemas(loadEcommerceModel(), {
      ...DEFAULT_TOPIC_PREFIXES,
      events: 'shop.events',
      aggregates: 'shop.agg',
    });
    expect(prefixed[0]?.subject).toBe('shop.events.page_view-value');
    expect(prefixed.at(-1)?.subject).toBe('shop.agg.cart_sessions-value');
  });
});

describe(checkAgainstBaseline.name, () => {
  it('passes the unchanged domain', () => {
    const result = checkAgainstBaseline(current, baseline, 'BACKWARD');
    expect(result.compatible).toBe(true);
    expect(result.checks.every((c) => c.status === 'ok')).toBe(true);
  });

  it('fails a new required dimension, naming the field and the rule', () => {
    const result = checkAgainstBaseline(schemasAfter(addRequiredDimension), baseline, 'BACKWARD');
    expect(result.compatible).toBe(false);
    const purchase = result.checks.find((c) => c.subject === 'events.purchase-value');
    expect(purchase).toMatchObject({ status: 'incompatible', level: 'BACKWARD' });
    expect(purchase?.messages).toEqual([
      expect.stringMatching(/"gift_wrap".*no default.*BACKWARD/),
    ]);
    expect(result.checks.filter((c) => c.status === 'incompatible')).toHaveLength(1);
  });

  it('passes a new optional attribute', () => {
    const result = checkAgainstBaseline(schemasAfter(addOptionalAttribute), baseline, 'BACKWARD');
    expect(result.compatible).toBe(true);
  });

  it('passes a new optional attribute under FULL too (old readers skip the field)', () => {
    expect(
      checkAgainstBaseline(schemasAfter(addOptionalAttribute), baseline, 'FULL').compatible,
    ).toBe(true);
  });

  it('reports a subject missing from the baseline as new', () => {
    const partial = new Map(baseline);
    partial.delete('events.purchase-value');
    const result = checkAgainstBaseline(schemasAfter(addRequiredDimension), partial, 'BACKWARD');
    expect(result.compatible).toBe(true);
    expect(result.checks.find((c) => c.subject === 'events.purchase-value')?.status).toBe('new');
  });
});

describe(checkAgainstRegistry.name, () => {
  function fakeRegistry(
    subjects: Record<string, CompatibilityLevel>,
    incompatible: Record<string, string[]> = {},
  ) {
    const calls: { subject: string; target: unknown }[] = [];
    const registry: ContractsRegistry = {
      getLatest: async (subject) => {
        if (!(subject in subjects)) throw notFound(40401);
        return { subject, id: 1, version: 1, schema: '"string"' };
      },
      getConfig: async (subject) => subjects[subject ?? ''] ?? 'BACKWARD',
      checkCompatibility: async (subject, _schema, target) => {
        calls.push({ subject, target });
        const messages = incompatible[subject] ?? [];
        return { compatible: messages.length === 0, messages };
      },
      register: async () => 1,
    };
    return { registry, calls };
  }

  it('reports unregistered subjects as new and checks the others under their own level', async () => {
    const { registry, calls } = fakeRegistry(
      { 'events.page_view-value': 'FULL', 'events.purchase-value': 'BACKWARD_TRANSITIVE' },
      { 'events.purchase-value': ['reader field "gift_wrap" has no default'] },
    );
    const result = await checkAgainstRegistry(current, registry);
    expect(result.compatible).toBe(false);
    expect(result.checks.map((c) => [c.subject, c.status, c.level])).toEqual([
      ['events.page_view-value', 'ok', 'FULL'],
      ['events.add_to_cart-value', 'new', undefined],
      ['events.purchase-value', 'incompatible', 'BACKWARD_TRANSITIVE'],
      ['aggregates.page_views_per_minute-value', 'new', undefined],
      ['aggregates.revenue_per_5_minutes-value', 'new', undefined],
      ['aggregates.active_users_sliding-value', 'new', undefined],
      ['aggregates.cart_sessions-value', 'new', undefined],
    ]);
    // Transitive levels are checked against every version, as a registration would be.
    expect(calls).toEqual([
      { subject: 'events.page_view-value', target: 'latest' },
      { subject: 'events.purchase-value', target: 'all' },
    ]);
  });

  it('lets registry failures other than "not found" through', async () => {
    const { registry } = fakeRegistry({});
    registry.getLatest = async () => {
      throw new SchemaRegistryError({
        failure: 'network',
        method: 'GET',
        path: '/x',
        serverMessage: 'ECONNREFUSED',
        retriable: true,
      });
    };
    await expect(checkAgainstRegistry(current, registry)).rejects.toThrow('ECONNREFUSED');
  });
});

describe(registerContracts.name, () => {
  it('registers every schema, reporting a 409 and going on', async () => {
    const registered: string[] = [];
    const results = await registerContracts(current, {
      register: async (subject) => {
        if (subject === 'events.purchase-value') {
          throw new SchemaRegistryError({
            failure: 'http',
            method: 'POST',
            path: '/subjects/events.purchase-value/versions',
            status: 409,
            errorCode: 409,
            serverMessage: 'Schema being registered is incompatible',
            retriable: false,
          });
        }
        registered.push(subject);
        return registered.length;
      },
    });
    expect(registered).toHaveLength(6);
    expect(results[2]).toEqual({
      subject: 'events.purchase-value',
      status: 'incompatible',
      messages: ['Schema being registered is incompatible'],
    });
    expect(results[0]).toEqual({ subject: 'events.page_view-value', status: 'registered', id: 1 });
  });

  it('stops at any other failure', async () => {
    await expect(
      registerContracts(current, {
        register: async () => {
          throw notFound(40401);
        },
      }),
    ).rejects.toThrow(SchemaRegistryError);
  });
});

describe(formatCheckReport.name, () => {
  it('prints one line per subject, the reasons below, and a summary', () => {
    const lines = formatCheckReport({
      compatible: false,
      checks: [
        { subject: 'events.a-value', status: 'ok', level: 'BACKWARD', messages: [] },
        { subject: 'events.bb-value', status: 'new', level: undefined, messages: [] },
        {
          subject: 'events.c-value',
          status: 'incompatible',
          level: 'FULL',
          messages: ['m1', 'm2'],
        },
      ],
    });
    expect(lines).toEqual([
      'ok            events.a-value   (BACKWARD)',
      'new           events.bb-value',
      'INCOMPATIBLE  events.c-value   (FULL)',
      '    - m1',
      '    - m2',
      '3 subjects: 1 ok, 1 new, 1 incompatible',
    ]);
  });
});

describe('baseline files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'contracts-baseline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips the schemas as <subject>.avsc files and removes stale ones', () => {
    writeFileSync(join(dir, 'events.gone-value.avsc'), '"string"');
    writeFileSync(join(dir, 'README.md'), 'kept');
    const { written, removed } = writeBaseline(dir, current);
    expect(written).toHaveLength(7);
    expect(removed).toEqual(['events.gone-value.avsc']);
    expect(readdirSync(dir)).toContain('README.md');
    const read = readBaseline(dir);
    expect([...read.keys()].sort()).toEqual(current.map((c) => c.subject).sort());
    expect(checkAgainstBaseline(current, read, 'FULL_TRANSITIVE').compatible).toBe(true);
  });

  it('leaves unchanged files alone', () => {
    writeBaseline(dir, current);
    const file = join(dir, 'events.page_view-value.avsc');
    const before = statSync(file).mtimeMs;
    expect(writeBaseline(dir, current).written).toEqual([]);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('refuses a missing directory', () => {
    expect(() => readBaseline(join(dir, 'nope'))).toThrow('does not exist');
  });
});
