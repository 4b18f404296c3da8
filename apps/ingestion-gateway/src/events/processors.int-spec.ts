import { eventTopic } from '@platform/contracts';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  avroDecoder,
  countRecords,
  DROP_BOTS_MODULE,
  ecommerceWithProcessors,
  http,
  readTopic,
  startGatewayRun,
  type GatewayRun,
} from '../testing/gateway-harness';

const HASH_KEY = 'gateway-test-hash-key-0123456789';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const hash = (value: string): string => createHmac('sha256', HASH_KEY).update(value).digest('hex');

// The shipped ecommerce domain with three processors, the first two in this order on
// purpose: personal data is hashed before anything can stop or dead-letter the event.
const PROCESSORS = `  - name: pii-hash
    options: { fields: [user_id] }
  - name: drop-bots
    module: ${JSON.stringify(DROP_BOTS_MODULE)}
    event_types: [page_view]
  - name: geo-ua
    event_types: [page_view]
    options: { user_agent: { device_type: device_type }, country: country }
`;

describe('ingestion gateway: the domain’s processors run on every event before it is checked', () => {
  let run: GatewayRun;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-processors-'));
    run = await startGatewayRun({
      DOMAIN_FILE: ecommerceWithProcessors(dir, PROCESSORS),
      PII_HASH_KEY: HASH_KEY,
    });
  });

  afterAll(async () => {
    await run?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pageViews = (): string => eventTopic(run.config.topics, 'page_view');

  it('hashes the user, fills device type and country from the request, and keys the record by the hash', async () => {
    const res = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      headers: { 'user-agent': IPHONE, 'cf-ipcountry': 'fr' },
      body: { user_id: 'alice@example.com' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ event_id: expect.any(String), status: 'accepted' });
    const decode = avroDecoder(run.registry.url);
    const records = await readTopic(run.kafka, pageViews());
    const values = await Promise.all(records.map(async (r) => ({ r, v: await decode(r.value) })));
    const found = values.find((x) => x.v['event_id'] === res.body.event_id);
    expect(found?.v).toMatchObject({
      user_id: hash('alice@example.com'),
      device_type: 'mobile',
      country: 'FR',
    });
    expect(found?.r.key).toBe(hash('alice@example.com'));
    expect(records.map((r) => r.value.toString('latin1')).join()).not.toContain('alice');
  });

  it('answers 202 "dropped" with the reason for an event a processor drops, and sends nothing', async () => {
    const before = await countRecords(run.kafka, pageViews());
    const res = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      headers: { 'user-agent': 'Googlebot/2.1', 'cf-ipcountry': 'US' },
      body: { event_id: 'crawler-1', user_id: 'bob', device_type: 'desktop' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      event_id: 'crawler-1',
      status: 'dropped',
      reason: 'bot: Googlebot/2.1',
    });
    const batch = await http(`${run.gateway.url}/v1/events`, {
      key: run.key,
      headers: { 'user-agent': 'Googlebot/2.1' },
      body: {
        events: [
          { type: 'page_view', event: { user_id: 'bob', device_type: 'desktop', country: 'US' } },
          { type: 'purchase', event: { user_id: 'bob' } },
        ],
      },
    });
    // The purchase has no processor that drops: it reaches validation, which refuses it.
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ accepted: 0, dropped: 1, dead_lettered: 0, rejected: 1 });
    expect(batch.body.results[0]).toEqual({
      index: 0,
      type: 'page_view',
      status: 'dropped',
      reason: 'bot: Googlebot/2.1',
    });
    expect(batch.body.results[1]).toMatchObject({ status: 'rejected', retriable: false });
    expect(await countRecords(run.kafka, pageViews())).toBe(before);
  });

  it('dead-letters what a processor refuses, with its reason, after the personal data was hashed', async () => {
    const res = await http(`${run.gateway.url}/v1/events/page_view`, {
      key: run.key,
      headers: { 'user-agent': '' },
      body: { user_id: 'carol@example.com', device_type: 'tablet', country: 'GB' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'dead_lettered', reason: 'no User-Agent' });
    const letters = (await readTopic(run.kafka, `${run.t.id}.dlq.ingestion-gateway`)).map(
      (r) => JSON.parse(r.value.toString('utf8')) as { data: Record<string, unknown> },
    );
    const letter = letters.find((l) =>
      JSON.stringify(l.data['failures']).includes('no User-Agent'),
    );
    expect(letter?.data).toMatchObject({
      event_type: 'page_view',
      payload: { user_id: hash('carol@example.com'), device_type: 'tablet', country: 'GB' },
      failures: [{ field: '$', reason: 'no User-Agent' }],
      source: 'web',
    });
    expect(letters.map((l) => JSON.stringify(l)).join()).not.toContain('carol');
  });
});
