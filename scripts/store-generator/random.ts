/**
 * Seeded randomness for the store generator. Every entity (product i, order j, …) draws from its
 * own generator derived from (seed, stream, index), so any one of them can be regenerated without
 * replaying the others: that is what lets the generator stream files of any size in constant memory
 * and still describe one consistent store.
 */

/** A 32-bit avalanche mix (murmur3's finaliser): nearby inputs give unrelated outputs. */
function mix32(value: number): number {
  let z = value | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Named streams so two kinds of entity with the same index never share random numbers. */
export const STREAMS = {
  product: 1,
  order: 2,
  shuffleProducts: 3,
  shuffleOrders: 4,
  catalog: 5,
} as const;

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** For one entity: independent of every other (seed, stream, index). */
  static for(seed: number, stream: number, index: number): Random {
    const a = mix32(seed ^ 0x9e3779b9);
    const b = mix32(a ^ Math.imul(stream, 0x27d4eb2d));
    // Indexes beyond 2^32 are not used (stores are far smaller than that).
    return new Random(mix32(b ^ mix32(index + 0x165667b1)));
  }

  /** mulberry32: a float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}
