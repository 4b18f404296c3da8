import { uuidText } from '@platform/contracts';

/**
 * A small seeded PRNG (sfc32, seeded through splitmix32). Pure and portable: the same seed
 * gives the same sequence on every platform and Node version, which `Math.random` does not.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Both halves of a 53-bit seed count, so 1 and 2^32 + 1 differ.
    const lo = seed >>> 0;
    const hi = Math.floor(Math.abs(seed) / 0x1_0000_0000) >>> 0;
    let s = (lo ^ Math.imul(hi, 0x9e3779b1) ^ (seed < 0 ? 0x5bd1e995 : 0)) >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    // Discard the first outputs: sfc32 mixes poorly for a few rounds after seeding.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A derived, independent generator: the same parent seed and label give the same child. */
  static derive(seed: number, label: string): Prng {
    let h = 0x811c9dc5;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    const mixed = new Prng(seed).nextUint32() ^ (h >>> 0);
    return new Prng(mixed >>> 0);
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [min, max], both inclusive and safe integers. */
  int(min: number, max: number): number {
    if (max <= min) return min;
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(p: number): boolean {
    return p >= 1 || (p > 0 && this.float() < p);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Exponentially distributed with the given mean, rounded to whole milliseconds. */
  exponential(mean: number): number {
    return Math.round(-Math.log(1 - this.float()) * mean);
  }

  /** A version-4-shaped UUID built from this generator's output. */
  uuid(): string {
    return uuidText(this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32());
  }

  /** `n` lowercase hex digits (n <= 8): the low ones of a draw, read as one flat string. */
  hex(n: number): string {
    let w = this.nextUint32();
    for (let i = n - 1; i >= 0; i--) {
      HEX_TEXT[i] = HEX_DIGITS[w & 15] as number;
      w >>>= 4;
    }
    return HEX_TEXT.toString('latin1', 0, n);
  }
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const HEX_TEXT = Buffer.alloc(8);
