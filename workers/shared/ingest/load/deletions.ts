/** The deletions writer: product deletion events become tombstones. */
import type postgres from 'postgres';
import type { Tx } from '#shared/db/types.ts';
import { add, type LoadCounts } from './types.ts';

export async function writeDeletions(tx: Tx, source: postgres.PendingQuery<postgres.Row[]>, counts: LoadCounts) {
  // delete_product: a tombstone, set once. The event's time (not now()) so a replay gives the same value.
  const tombstones = await tx`
    update material_artifact a
    set deleted_at = coalesce(a.deleted_at, (d.payload ->> 'deletedAt')::timestamptz, now())
    from (${source}) d
    where a.material_artifact_id = d.id`;
  add(counts, 'material_artifact_tombstone', tombstones.count);
}
