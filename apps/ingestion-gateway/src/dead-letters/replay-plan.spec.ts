import { EventContracts } from '@platform/contracts';
import { storedDeadLetter, type StoredDeadLetter } from '@platform/messaging';
import { buildBadRow, SCHEMA_VIOLATION } from '../events/bad-row';
import { ecommerceModel } from '../testing/ecommerce-model';
import { derivedEventId, planReplay, REPLAYED_FROM_HEADER, selectLetters } from './replay-plan';

const contracts = new EventContracts(ecommerceModel(), { maxStringLength: 8192 });

function badRowLetter(payload: unknown, offset = '0'): StoredDeadLetter {
  const row = buildBadRow({
    payload,
    eventType: 'page_view',
    failures: [{ field: 'device_type', reason: 'must be one of desktop, mobile, tablet' }],
    source: 'web',
    now: new Date('2024-03-01T10:00:00Z'),
  });
  return storedDeadLetter({
    topic: 'dlq.ingestion-gateway',
    partition: 0,
    offset,
    timestamp: 0,
    key: Buffer.from('page_view'),
    value: Buffer.from(JSON.stringify(row)),
    headers: {
      'bad_row.schema': SCHEMA_VIOLATION,
      'dlq.error.code': 'SCHEMA_VIOLATION',
      'dlq.error.message': 'device_type: must be one of desktop, mobile, tablet',
      'dlq.source.topic': 'http',
      'dlq.source.partition': '-1',
      'dlq.source.offset': '-1',
      'dlq.service': 'ingestion-gateway',
      'dlq.timestamp': '2024-03-01T10:00:00.000Z',
    },
  });
}

describe('planReplay', () => {
  it('replays a bad row that now passes, with a stable derived event_id and its time of receipt', () => {
    const letter = badRowLetter({ user_id: 'u1', device_type: 'mobile', country: 'US' });
    const step = planReplay(letter, contracts);
    expect(step.kind).toBe('event');
    if (step.kind !== 'event') return;
    expect(step.eventType).toBe('page_view');
    expect(step.event['event_id']).toBe(derivedEventId(letter));
    expect(step.replayId).toBe(derivedEventId(letter));
    expect(step.event['timestamp']).toBe(Date.parse('2024-03-01T10:00:00Z'));
    expect(planReplay(letter, contracts)).toEqual(step);
    expect(derivedEventId(badRowLetter({}, '1'))).not.toBe(derivedEventId(letter));
    expect(derivedEventId(letter)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("keeps the event's own event_id", () => {
    const step = planReplay(
      badRowLetter({ event_id: 'e-1', user_id: 'u1', device_type: 'mobile', country: 'US' }),
      contracts,
    );
    expect(step).toMatchObject({ kind: 'event', replayId: 'e-1' });
  });

  it('names the fields of a bad row that still fails', () => {
    const step = planReplay(
      badRowLetter({ user_id: 'u1', device_type: 'phone', country: 'US' }),
      contracts,
    );
    expect(step.kind).toBe('fails');
    if (step.kind === 'fails') expect(step.reason).toMatch(/^device_type: /);
  });

  it('sends any other letter back to its source topic byte for byte, keyed by its event_id', () => {
    const letter = storedDeadLetter({
      topic: 'dlq.sink-writer',
      partition: 0,
      offset: '7',
      timestamp: 0,
      key: Buffer.from('u1'),
      value: Buffer.from([0, 0, 0, 0, 1, 2]),
      headers: {
        source: 'web',
        'dlq.source.topic': 'events.purchase',
        'dlq.source.partition': '2',
        'dlq.source.offset': '41',
        'dlq.error.code': 'SINK_REFUSED',
      },
    });
    expect(planReplay(letter, contracts, () => 'e-9')).toEqual({
      kind: 'record',
      letter,
      replayId: 'e-9',
      topic: 'events.purchase',
      key: letter.key,
      value: letter.value,
      headers: { source: 'web', [REPLAYED_FROM_HEADER]: 'dlq.sink-writer:0:7' },
    });
    expect(planReplay(letter, contracts).replayId).toBe('dlq:dlq.sink-writer:0:7');
  });
});

describe('selectLetters', () => {
  it('takes named records, or the letters matching every filter', () => {
    const a = badRowLetter({}, '0');
    const b = badRowLetter({}, '1');
    expect(selectLetters([a, b], { records: ['dlq.ingestion-gateway:0:1'] })).toEqual([b]);
    expect(selectLetters([a, b], { reason: 'device_type', code: 'SCHEMA_VIOLATION' })).toEqual([
      a,
      b,
    ]);
    expect(selectLetters([a, b], { service: 'sink-writer' })).toEqual([]);
  });
});
