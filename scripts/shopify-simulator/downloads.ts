/**
 * Bulk operation result downloads (GET /__simulator/downloads/{n}.jsonl, …-partial.jsonl): the
 * signed URLs of Shopify's storage, with Range, expiry and truncation faults.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { RESOURCE_OF_ROOT, resultLines, statusOf } from './bulk-operations.ts';
import { sendJson } from './http.ts';
import { record, type SimOperation, type SimulatorState } from './state.ts';

export async function handleDownload(
  state: SimulatorState,
  response: ServerResponse,
  path: string,
  name: string,
  rangeHeader: string | undefined,
): Promise<void> {
  const match = /^(\d+)(-partial)?\.jsonl$/.exec(name);
  const op = match ? state.operations.find((candidate) => candidate.number === Number(match[1])) : undefined;
  if (!match || !op) {
    record(state, { kind: 'download', path, status: 404, outcome: 'not-found' });
    sendJson(response, 404, { errors: 'Not Found' });
    return;
  }
  const partial = Boolean(match[2]);
  const status = statusOf(state, op);
  const expired = status === 'EXPIRED' || state.faults.expiredUrl > 0;
  if (expired) {
    if (status !== 'EXPIRED') state.faults.expiredUrl--;
    record(state, {
      kind: 'download',
      path,
      status: 403,
      outcome: 'expired-url',
      faults: [status === 'EXPIRED' ? 'expireOperations' : 'expiredUrl'],
    });
    response.writeHead(403, { 'Content-Type': 'application/xml; charset=UTF-8' });
    response.end(
      "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message><Details>Request has expired</Details></Error>",
    );
    return;
  }
  const ready = partial ? status === 'FAILED' : status === 'COMPLETED';
  if (!ready) {
    record(state, { kind: 'download', path, status: 404, outcome: `not-ready-${status.toLowerCase()}` });
    sendJson(response, 404, { errors: 'Not Found' });
    return;
  }
  const { stats, roots } = await op.result;
  let truncateAt: number | undefined;
  if (state.faults.truncatedDownload.times > 0) {
    state.faults.truncatedDownload.times--;
    truncateAt = Math.floor(stats.fileSize * state.faults.truncatedDownload.fraction);
  }
  const shapedBy: SimOperation['knobs'] = [];
  if (truncateAt !== undefined) shapedBy.push('truncatedDownload');
  if (partial && op.knobs.includes('failOperation')) shapedBy.push('failOperation');
  const partialLines = partial && op.failure ? Math.floor(stats.objectCount * op.failure.partialFraction) : undefined;
  // Range: bytes=<first>-[<last>], as the signed URLs of Shopify's storage honour (one range)
  const range = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader ?? '');
  const size = partialLines === undefined ? stats.fileSize : undefined;
  const first = range ? Number(range[1]) : 0;
  const last = Math.min(range?.[2] ? Number(range[2]) : Number.POSITIVE_INFINITY, (size ?? Infinity) - 1);
  if (range && size !== undefined && first >= size) {
    record(state, { kind: 'download', path, status: 416, outcome: 'range-not-satisfiable' });
    response.writeHead(416, { 'Content-Range': `bytes */${size}` });
    response.end();
    return;
  }
  const httpStatus = range ? 206 : 200;
  record(state, {
    kind: 'download',
    path,
    status: httpStatus,
    outcome: truncateAt === undefined ? 'ok' : 'truncated',
    ...(shapedBy.length ? { faults: shapedBy } : {}),
  });
  const headers: Record<string, string> = { 'Content-Type': 'application/jsonl', 'Accept-Ranges': 'bytes' };
  if (size !== undefined) headers['Content-Length'] = String(last - first + 1);
  if (range) headers['Content-Range'] = `bytes ${first}-${Number.isFinite(last) ? last : '*'}/${size ?? '*'}`;
  response.writeHead(httpStatus, headers);

  // position: bytes of the whole result passed so far; only those in [first, last] are sent
  let position = 0;
  const write = async (chunk: Buffer | string): Promise<boolean> => {
    const whole = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const start = position;
    position += whole.length;
    if (position <= first) return true;
    let bytes = whole.subarray(Math.max(0, first - start), Math.max(0, last + 1 - start));
    const at = Math.max(start, first);
    if (truncateAt !== undefined && at + bytes.length >= truncateAt) {
      bytes = bytes.subarray(0, Math.max(0, truncateAt - at));
      if (bytes.length > 0) response.write(bytes);
      // Drop the connection mid-body, as a broken download does.
      response.destroy();
      return false;
    }
    if (bytes.length > 0 && !response.write(bytes)) await once(response, 'drain');
    return position <= last;
  };

  const resource = RESOURCE_OF_ROOT[op.plan.rootField];
  const file = resource && !roots && partialLines === undefined ? op.source.filePath(resource) : undefined;
  if (file) {
    for await (const chunk of createReadStream(file)) if (!(await write(chunk as Buffer))) break;
    if (!response.destroyed) response.end();
    return;
  }
  let batch = '';
  let count = 0;
  for await (const line of resultLines(op.source, op.plan, roots)) {
    if (partialLines !== undefined && count >= partialLines) break;
    count++;
    batch += `${line}\n`;
    if (batch.length >= 1 << 16) {
      const more = await write(batch);
      batch = '';
      if (!more) break;
    }
  }
  if (batch) await write(batch);
  if (!response.destroyed) response.end();
}
