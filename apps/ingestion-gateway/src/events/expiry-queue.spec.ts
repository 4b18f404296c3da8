import { ExpiryQueue, type Expirable } from './expiry-queue';

class Entry implements Expirable {
  answered = false;
  expired = false;
  expire(): void {
    this.expired = true;
    this.answered = true;
  }
}

describe('ExpiryQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires an entry after the delay, and not before', () => {
    const queue = new ExpiryQueue(1_000);
    const entry = new Entry();
    queue.add(entry);
    jest.advanceTimersByTime(999);
    expect(entry.expired).toBe(false);
    jest.advanceTimersByTime(1);
    expect(entry.expired).toBe(true);
    expect(queue.size).toBe(0);
  });

  it('never expires an entry answered in time', () => {
    const queue = new ExpiryQueue(1_000);
    const answered = new Entry();
    const late = new Entry();
    queue.add(answered);
    answered.answered = true;
    queue.add(late);
    jest.advanceTimersByTime(1_000);
    expect(answered.expired).toBe(false);
    expect(late.expired).toBe(true);
  });

  it('expires each entry at its own deadline, added at different times', () => {
    const queue = new ExpiryQueue(100);
    const entries: Entry[] = [];
    for (let i = 0; i < 5; i++) {
      const entry = new Entry();
      entries.push(entry);
      queue.add(entry);
      jest.advanceTimersByTime(30);
    }
    // Due at 100, 130, 160, 190 and 220; now 150.
    expect(entries.map((e) => e.expired)).toEqual([true, true, false, false, false]);
    jest.advanceTimersByTime(10);
    expect(entries.map((e) => e.expired)).toEqual([true, true, true, false, false]);
    jest.advanceTimersByTime(60);
    expect(entries.map((e) => e.expired)).toEqual([true, true, true, true, true]);
    expect(queue.size).toBe(0);
  });

  it('an answered head does not hold back the expiry of the entries behind it', () => {
    const queue = new ExpiryQueue(100);
    const first = new Entry();
    const second = new Entry();
    queue.add(first);
    jest.advanceTimersByTime(50);
    queue.add(second);
    first.answered = true;
    jest.advanceTimersByTime(100);
    expect(first.expired).toBe(false);
    expect(second.expired).toBe(true);
  });

  it('holds only the entries in flight when they are answered in order', () => {
    const queue = new ExpiryQueue(10_000);
    let previous: Entry | undefined;
    for (let i = 0; i < 5_000; i++) {
      const entry = new Entry();
      queue.add(entry);
      if (previous !== undefined) previous.answered = true;
      previous = entry;
    }
    // The one in flight, and the one answered since the last add.
    expect(queue.size).toBe(2);
    jest.advanceTimersByTime(10_000);
    expect(previous?.expired).toBe(true);
  });

  it('keeps working after it emptied', () => {
    const queue = new ExpiryQueue(100);
    const first = new Entry();
    queue.add(first);
    jest.advanceTimersByTime(100);
    const second = new Entry();
    queue.add(second);
    jest.advanceTimersByTime(99);
    expect(second.expired).toBe(false);
    jest.advanceTimersByTime(1);
    expect(first.expired && second.expired).toBe(true);
  });
});
