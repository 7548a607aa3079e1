/** Archives JSONL lines into the R2 binding, in small segments, and records the object, as a sync does. */

import type { Sql } from '#shared/db/types.ts';
import { archiveJsonl, recordArchivedObject } from '#shared/ingest/archive.ts';
import type { ResourceName } from '#shared/ingest/shopify-objects.ts';

export async function archiveLines(
  sql: Sql,
  bucket: R2Bucket,
  resource: ResourceName,
  lines: readonly string[],
  segmentBytes = 4096,
) {
  const key = `test/${resource}-${crypto.randomUUID()}.jsonl.gz`;
  const bytes = lines.map((line) => new TextEncoder().encode(`${line}\n`));
  const archived = await archiveJsonl(bucket, key, bytes, { segmentBytes });
  return recordArchivedObject(sql, archived, { resource, procedureExecutionId: null });
}
