import type { Producer, Transaction } from 'kafkajs';
import { createTransactionalProducer, withTransaction } from './transaction';

function fakeTx(commitError?: Error): Transaction & { log: string[] } {
  const log: string[] = [];
  let active = true;
  return {
    log,
    send: jest.fn(async () => {
      log.push('send');
      return [];
    }),
    sendBatch: jest.fn(async () => []),
    sendOffsets: jest.fn(async () => {
      log.push('offsets');
    }),
    commit: jest.fn(async () => {
      log.push('commit');
      if (commitError) throw commitError;
      active = false;
    }),
    abort: jest.fn(async () => {
      log.push('abort');
      active = false;
    }),
    isActive: () => active,
  };
}

const producerOf = (tx: Transaction): Pick<Producer, 'transaction'> => ({
  transaction: async () => tx,
});

describe(withTransaction.name, () => {
  it('commits after the work resolves and returns its result', async () => {
    const tx = fakeTx();
    const result = await withTransaction(producerOf(tx), async (t) => {
      await t.send({ topic: 'a', messages: [] });
      await t.sendOffsets({ consumerGroupId: 'g', topics: [] });
      return 42;
    });
    expect(result).toBe(42);
    expect(tx.log).toEqual(['send', 'offsets', 'commit']);
  });

  it('aborts and rethrows the work error unchanged', async () => {
    const tx = fakeTx();
    const boom = new Error('window state corrupt');
    await expect(
      withTransaction(producerOf(tx), async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(tx.log).toEqual(['abort']);
  });

  it('aborts when the commit fails and reports it as a MessagingError', async () => {
    const tx = fakeTx(new Error('coordinator moved'));
    await expect(withTransaction(producerOf(tx), async () => 1)).rejects.toMatchObject({
      name: 'MessagingError',
      message: expect.stringContaining('commit transaction'),
    });
    expect(tx.log).toEqual(['commit', 'abort']);
  });
});

describe(createTransactionalProducer.name, () => {
  it('asks kafkajs for an idempotent transactional producer with one request in flight', () => {
    const producer = jest.fn();
    createTransactionalProducer({ producer }, { transactionalId: 'agg-0' });
    expect(producer).toHaveBeenCalledWith(
      expect.objectContaining({
        transactionalId: 'agg-0',
        idempotent: true,
        maxInFlightRequests: 1,
      }),
    );
  });
});
