/**
 * Check 5, tag count: rows of legacy tag_classifications against new tag_content_entity (a tag
 * applied to a product), with the per-source counts and the products whose tags differ, by tag name.
 */
import type { ParityCheckResult } from './comparison.ts';
import { compareMemberships } from './memberships.ts';
import type { Side } from './sides.ts';

export function checkTagCount(
  legacy: Side,
  fresh: Side,
  options: { tolerance: number; sampleLimit?: number },
): Promise<ParityCheckResult> {
  return compareMemberships(
    legacy,
    fresh,
    {
      check: 'tag_count',
      table: 'tag_classifications',
      productColumn: 'product_id',
      memberIdColumn: 'tag_id',
      sourceColumn: 'source',
      memberTable: 'tags',
      memberKey: 'id',
      memberIdentity: (side) => side.sql`y.${side.column('tags', 'name')}`,
      noun: 'tag classifications',
      memberNoun: 'tag',
    },
    options,
  );
}
