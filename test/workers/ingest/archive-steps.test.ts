/**
 * The archive written in bounded steps (workers/shared/ingest/archive-writer.ts), as the download
 * step writes a bulk export: several steps, multipart parts across them, and a step that dies
 * (after uploading a part, or mid-part) resumes from the last recorded state.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { Env } from '#shared/env.ts';
import { readArchivedLines, type Segment } from '#shared/ingest/archive.ts';
import { type ArchiveWriteState, archiveJsonl, archiveStep, startArchiveWrite } from '#shared/ingest/archive-writer.ts';
import { recordFault } from '#test/support/reliability.ts';

const bindings = env as unknown as Env;
const MIB = 1024 * 1024;
const OPTIONS = { stepBytes: 2 * MIB, partBytes: 5 * MIB, segmentBytes: 256 * 1024 };

/** Barely compressible JSONL, so the gzip object spans several 5 MiB parts. */
function exportBody(lines: number): Uint8Array {
  const random = new Uint8Array(750);
  const text: string[] = [];
  for (let i = 0; i < lines; i++) {
    crypto.getRandomValues(random);
    text.push(`${JSON.stringify({ id: `gid://shopify/Order/${i}`, note: btoa(String.fromCharCode(...random)) })}\n`);
  }
  return new TextEncoder().encode(text.join(''));
}

/** The export from `offset` on, as a Range response would give it; `breakAfter` drops it mid-way. */
async function* from(body: Uint8Array, offset: number, breakAfter = Number.POSITIVE_INFINITY) {
  for (let at = offset; at < body.length; at += 64 * 1024) {
    if (at - offset >= breakAfter) throw new Error('Network connection lost.');
    yield body.slice(at, Math.min(body.length, at + 64 * 1024));
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function decompressed(key: string, segments: Segment[]): Promise<string> {
  const lines: string[] = [];
  for await (const record of readArchivedLines(bindings.RAW_ARCHIVE, key, segments)) {
    if (record.kind === 'line') lines.push(`${record.text}\n`);
  }
  return lines.join('');
}

describe('an export archived in bounded steps', () => {
  it('takes several steps, uploads parts across them, and equals the export and a one-go archive, hash and all', async () => {
    const body = exportBody(16_000);
    const key = `test/steps-${crypto.randomUUID()}.jsonl.gz`;
    let state: ArchiveWriteState = startArchiveWrite(key);
    let steps = 0;
    let archived = null;
    const partsAfterStep: number[] = [];
    while (!archived) {
      // the checkpoint goes through JSON, as procedure_execution.checkpoint_state does
      const step = await archiveStep(bindings.RAW_ARCHIVE, state, from(body, state.sourceOffset), OPTIONS);
      state = JSON.parse(JSON.stringify(step.state));
      archived = step.archived;
      partsAfterStep.push(state.parts.length);
      steps++;
    }
    expect(steps).toBeGreaterThanOrEqual(6);
    expect(new Set(partsAfterStep).size).toBeGreaterThanOrEqual(3);
    expect(archived).toMatchObject({ byteCount: body.length, lineCount: 16_000, sha256: await sha256Hex(body) });
    expect((await bindings.RAW_ARCHIVE.head(key))?.size).toBe(archived.storedByteCount);
    expect((await bindings.RAW_ARCHIVE.list({ prefix: `${key}.carry-` })).objects).toEqual([]);
    const text = new TextDecoder().decode(body);
    expect(await decompressed(key, archived.segments)).toBe(text);
    // the whole object read as one multi-member gzip gives the same
    expect(await decompressed(key, [[0, 0, 1, archived.lineCount]])).toBe(text);

    const oneGo = await archiveJsonl(bindings.RAW_ARCHIVE, `${key}.one-go`, from(body, 0), OPTIONS);
    expect(oneGo).toMatchObject({
      byteCount: archived.byteCount,
      lineCount: archived.lineCount,
      sha256: archived.sha256,
    });
    expect(oneGo.segments.map((s) => s.slice(2))).toEqual(archived.segments.map((s) => s.slice(2)));
  });

  it('fault: a step that dies after uploading parts, and one that breaks off mid-part, resume from the last recorded state: the same object as a clean run', {
    tags: ['fault'],
  }, async () => {
    const body = exportBody(12_000);
    const key = `test/killed-${crypto.randomUUID()}.jsonl.gz`;
    let state: ArchiveWriteState = startArchiveWrite(key);
    let archived = null;
    let diedAfterPart = false;
    let brokeOff = false;
    while (!archived) {
      const recorded = JSON.parse(JSON.stringify(state)) as ArchiveWriteState;
      if (!brokeOff && recorded.parts.length === 1) {
        brokeOff = true;
        await expect(
          archiveStep(bindings.RAW_ARCHIVE, recorded, from(body, recorded.sourceOffset, MIB), OPTIONS),
        ).rejects.toThrow(/connection lost/);
      }
      const step = await archiveStep(bindings.RAW_ARCHIVE, recorded, from(body, recorded.sourceOffset), OPTIONS);
      if (!diedAfterPart && step.state.parts.length > recorded.parts.length && !step.archived) {
        // its part is in R2, but the checkpoint never recorded the step: the message runs it again
        diedAfterPart = true;
        continue;
      }
      state = step.state;
      archived = step.archived;
    }
    expect([diedAfterPart, brokeOff]).toEqual([true, true]);
    expect(archived).toMatchObject({ byteCount: body.length, lineCount: 12_000, sha256: await sha256Hex(body) });
    recordFault(
      'an isolate that dies mid-multipart-upload',
      'a step whose uploaded part was never checkpointed (run again from the state before it), and a step whose source broke off mid-part',
      `object of ${archived.byteCount} bytes, ${archived.lineCount} lines, sha256 equal to the export's; no carry object left`,
    );
    expect((await bindings.RAW_ARCHIVE.head(key))?.size).toBe(archived.storedByteCount);
    expect(await decompressed(key, archived.segments)).toBe(new TextDecoder().decode(body));
    expect((await bindings.RAW_ARCHIVE.list({ prefix: `${key}.carry-` })).objects).toEqual([]);
  });
});
