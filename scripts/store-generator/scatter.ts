/**
 * Shopify's bulk output order without groupObjects, in bounded memory (the shuffleChildren option).
 */
import type { Random } from './random.ts';

const SHUFFLE_WINDOW = 48;
/** Lines held back to the end of the file (children long after, or long before, their parent). */
const MAX_DEFERRED = 20_000;

/**
 * Shopify's output order without groupObjects: a child may come before or after its parent, near
 * it or far away. A small random window reorders neighbours; a few lines (parents or children)
 * are held back to the end of the file. Memory stays bounded by the window and the cap.
 */
export class Scatterer {
  private readonly window: string[] = [];
  private readonly deferred: string[] = [];
  private readonly random: Random;

  constructor(random: Random) {
    this.random = random;
  }

  private takeRandom(items: string[]): string {
    const index = Math.floor(this.random.next() * items.length);
    const item = items[index] as string;
    items[index] = items[items.length - 1] as string;
    items.pop();
    return item;
  }

  /** Takes a line; returns the line to write now, if any. */
  push(line: string): string | undefined {
    if (this.deferred.length < MAX_DEFERRED && this.random.chance(0.01)) {
      this.deferred.push(line);
      return undefined;
    }
    this.window.push(line);
    return this.window.length >= SHUFFLE_WINDOW ? this.takeRandom(this.window) : undefined;
  }

  *drain(): Generator<string> {
    while (this.window.length > 0) yield this.takeRandom(this.window);
    while (this.deferred.length > 0) yield this.takeRandom(this.deferred);
  }
}

export function* scatter(lines: Iterable<string>, random: Random): Generator<string> {
  const scatterer = new Scatterer(random);
  for (const line of lines) {
    const out = scatterer.push(line);
    if (out !== undefined) yield out;
  }
  yield* scatterer.drain();
}

export function* splitMediaBlocks(items: Iterable<string>): Generator<string> {
  for (const item of items) yield* item.split('\n');
}
