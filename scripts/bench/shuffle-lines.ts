/**
 * A fixture folder with its products and orders files FULLY shuffled: every line (parent or
 * child) anywhere in its file, a uniform random permutation, as a bulk export without
 * groupObjects may give it. The generator's own shuffle (shuffleChildren) moves children only
 * within a window, so a loader could be fast merely because children sit near their parents.
 *
 * Memory stays bounded: each line goes to one of k random bucket files, then each bucket is
 * shuffled in memory (Fisher–Yates) and appended: a uniform permutation of the whole file.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Random } from '../store-generator/random.ts';

const BUCKET_BYTES = 64 * 1024 * 1024;
/** The files whose children may come before or after their parent (refunds and deletions have none). */
const SHUFFLED_FILES = ['products.jsonl', 'orders.jsonl'];

async function writeAll(out: ReturnType<typeof createWriteStream>, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function closeFile(out: ReturnType<typeof createWriteStream>): Promise<void> {
  out.end();
  await once(out, 'close');
}

/** Writes `from`'s lines to `to` in a uniform random order (deterministic for a seed). */
export async function shuffleFile(from: string, to: string, seed: number): Promise<void> {
  const random = new Random(seed);
  const buckets = Math.max(1, Math.ceil((await stat(from)).size / BUCKET_BYTES));
  const parts = Array.from({ length: buckets }, (_, i) => `${to}.part${i}`);
  const outs = parts.map((path) => createWriteStream(path));
  for await (const line of createInterface({ input: createReadStream(from), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue;
    await writeAll(outs[Math.floor(random.next() * buckets)] as (typeof outs)[number], `${line}\n`);
  }
  await Promise.all(outs.map(closeFile));
  const out = createWriteStream(to);
  for (const part of parts) {
    const lines = (await readFile(part, 'utf8')).split('\n');
    lines.pop();
    for (let i = lines.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
    }
    for (let i = 0; i < lines.length; i += 10_000) await writeAll(out, `${lines.slice(i, i + 10_000).join('\n')}\n`);
    await rm(part);
  }
  await closeFile(out);
}

/** A copy of fixture folder `from` at `to` whose products and orders files are fully shuffled (the rest copied). */
export async function writeShuffledFixture(from: string, to: string, seed: number): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (!entry.isFile() || (!entry.name.endsWith('.jsonl') && entry.name !== 'shop.json')) continue;
    if (SHUFFLED_FILES.includes(entry.name)) await shuffleFile(join(from, entry.name), join(to, entry.name), seed);
    else await copyFile(join(from, entry.name), join(to, entry.name));
  }
}

if (import.meta.filename === process.argv[1]) {
  const [from, to, seed = '7'] = process.argv.slice(2);
  if (!from || !to) {
    console.error('usage: node scripts/bench/shuffle-lines.ts <fixture-folder> <out-folder> [seed]');
    process.exit(2);
  }
  await writeShuffledFixture(from, to, Number(seed));
}
