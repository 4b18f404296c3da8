import { kafkaName, serviceNames, sqlName, takeRunFlags } from './namespace';

describe('namespace', () => {
  it('prefixes Kafka names with a dot and SQL names with an underscore', () => {
    expect(kafkaName('run_a', 'events')).toBe('run_a.events');
    expect(sqlName('run_a', 'platform')).toBe('run_a_platform');
    expect(kafkaName('', 'events')).toBe('events');
  });

  it('derives every service-owned name, overrides included', () => {
    expect(serviceNames({ NAMESPACE: 'b', AGGREGATOR_APP_ID: 'agg' })).toEqual({
      aggregatorAppId: 'b.agg',
      sinkWriterGroupId: 'b.sink-writer',
      gatewaySubscriptionsGroupId: 'b.ingestion-gateway-subscriptions',
      gatewayDbSchema: 'b_ingestion_gateway',
      registryDbSchema: 'b_schema_registry',
    });
    expect(serviceNames({}).aggregatorAppId).toBe('aggregator');
  });

  it('takes the run flags out of argv and into the environment', () => {
    const env: Record<string, string | undefined> = {};
    expect(
      takeRunFlags(['run', '--namespace', 'x1', '--domain-file=/d.yaml', '--console'], env),
    ).toEqual(['run', '--console']);
    expect(env).toEqual({ NAMESPACE: 'x1', DOMAIN_FILE: '/d.yaml' });
    expect(takeRunFlags(['--domain', 'shop'], env, { keepDomain: true })).toEqual([
      '--domain',
      'shop',
    ]);
    expect(() => takeRunFlags(['--namespace'], {})).toThrow(/--namespace needs a value/);
    expect(() => takeRunFlags(['--namespace', 'Bad-Name'], {})).toThrow(/Invalid namespace/);
  });
});
