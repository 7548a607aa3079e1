/** Whole loads of one source in one go (stream every pass, then resolve): tests, small replays, tools. */

import type { Sql } from '#shared/db/types.ts';
import { type JsonlRecord, numberLines } from '../jsonl-reader.ts';
import type { ResourceName } from '../shopify-objects.ts';
import { readPasses } from './lines.ts';
import { resolveAll } from './resolve.ts';
import { streamRecords } from './stream.ts';
import { emptyCounts, type LoadSummary, type LoadTarget, type ReadPass, summarize } from './types.ts';

/**
 * Loads one file's lines in one go (stream, then resolve what was staged): for tests, replays of
 * small objects and tools. Memory stays bounded by the batch sizes; the step-wise path for
 * archived exports is workers/shared/ingest/load.procedure.ts. An array is read in the
 * resource's passes (readPasses); a one-shot iterable once.
 */
export async function loadJsonlLines(
  sql: Sql,
  resource: ResourceName,
  lines: AsyncIterable<string> | Iterable<string>,
  options: Omit<Partial<LoadTarget>, 'resource'> & { firstLineNumber?: number } = {},
): Promise<LoadSummary> {
  const open = () => numberLines(lines, options.firstLineNumber);
  return Array.isArray(lines)
    ? loadJsonlSource(sql, resource, open, options)
    : loadJsonlRecords(sql, resource, open(), options);
}

/** As loadJsonlLines, for records from readJsonlLines (a byte stream), read once. */
export async function loadJsonlRecords(
  sql: Sql,
  resource: ResourceName,
  records: AsyncIterable<JsonlRecord> | Iterable<JsonlRecord>,
  options: Omit<Partial<LoadTarget>, 'resource'> = {},
): Promise<LoadSummary> {
  let opened = false;
  return loadJsonlSource(
    sql,
    resource,
    () => {
      if (opened) throw new Error('loadJsonlRecords reads its records once');
      opened = true;
      return records;
    },
    { ...options, passes: ['all'] },
  );
}

/**
 * Loads a source that `open` reads from the start each time it is called (a file, an array):
 * one read per pass of the resource (orders: parents, then children, so nothing is staged).
 */
export async function loadJsonlSource(
  sql: Sql,
  resource: ResourceName,
  open: () => AsyncIterable<JsonlRecord> | Iterable<JsonlRecord>,
  options: Omit<Partial<LoadTarget>, 'resource'> & { passes?: ReadPass[] } = {},
): Promise<LoadSummary> {
  const target: LoadTarget = {
    loadKey: options.loadKey ?? crypto.randomUUID(),
    resource,
    procedureExecutionId: options.procedureExecutionId ?? null,
    informationBearingEntityId: options.informationBearingEntityId ?? null,
  };
  const counts = emptyCounts();
  for (const pass of options.passes ?? readPasses(resource)) await streamRecords(sql, target, open(), counts, { pass });
  await resolveAll(sql, target, counts);
  return summarize(target, counts);
}
