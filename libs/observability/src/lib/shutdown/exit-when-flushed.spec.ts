import { PassThrough } from 'node:stream';
import { exitWhenFlushed } from './exit-when-flushed';

describe(exitWhenFlushed.name, () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('exits only after every earlier write on each stream has been consumed', async () => {
    // A stream with a tiny buffer whose reader lags: the writes stay queued for a while.
    const out = new PassThrough({ highWaterMark: 4 });
    const err = new PassThrough({ highWaterMark: 4 });
    out.write('a'.repeat(64));
    err.write('b'.repeat(64));
    const exited: number[] = [];
    exitWhenFlushed(3, [out, err] as unknown as NodeJS.WriteStream[], (code) => exited.push(code));
    await new Promise((done) => setImmediate(done));
    expect(exited).toEqual([]);
    const read = (s: PassThrough): Promise<string> =>
      new Promise((done) => {
        let text = '';
        s.on('data', (c: Buffer) => (text += c.toString()));
        s.on('end', () => done(text));
        s.end();
      });
    const [outText, errText] = await Promise.all([read(out), read(err)]);
    expect(outText).toBe('a'.repeat(64));
    expect(errText).toBe('b'.repeat(64));
    expect(exited).toEqual([3]);
    expect(process.exitCode).toBe(3);
  });
});
