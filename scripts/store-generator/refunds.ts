/**
 * An order's refunds: drawn from the order's own random stream right after its totals, so the
 * sequence of draws (and the store for a seed) is the one it always was.
 */
import { ID, type LineModel, type RefundModel, type ResolvedOptions } from './model.ts';
import type { Random } from './random.ts';
import { localEpochDay, localToUtcMs, MS_PER_DAY } from './zoned-time.ts';

function nextLocalMidnightMs(instantMs: number, timezone: string): number {
  return localToUtcMs(localEpochDay(instantMs, timezone) + 1, 0, timezone);
}

export function generateRefunds(
  o: ResolvedOptions,
  random: Random,
  j: number,
  lines: LineModel[],
  { createdMs, cancelledMs }: { createdMs: number; cancelledMs: number | null },
): { refunds: RefundModel[]; refundedUnits: number } {
  const refunds: RefundModel[] = [];
  const refundedByLine = new Map<number, number>();
  if (random.chance(cancelledMs === null ? 0.12 : 0.5)) {
    const refundCount = random.pick([1, 1, 1, 1, 2, 2, 3]);
    let previousMs = cancelledMs ?? createdMs;
    let refundLineIndex = 0;
    for (let r = 0; r < refundCount; r++) {
      const timing = random.next();
      let createdAt: number;
      if (timing < 0.35) createdAt = previousMs + random.int(300, 6 * 3600) * 1000;
      else if (timing < 0.75) createdAt = previousMs + random.int(1, 20) * MS_PER_DAY + random.int(0, 3600) * 1000;
      // Just after the next local midnight: the sale and the refund land on different local days.
      else createdAt = nextLocalMidnightMs(previousMs, o.timezone) + random.int(0, 1200) * 1000;
      if (createdAt > o.windowEndMs) break;
      const refundLines: RefundModel['lines'] = [];
      if (!random.chance(0.03)) {
        for (const line of lines) {
          const remaining = line.quantity - (refundedByLine.get(line.id) ?? 0);
          if (remaining <= 0 || !random.chance(lines.length === 1 ? 1 : 0.6)) continue;
          const quantity = random.int(1, remaining);
          refundedByLine.set(line.id, (refundedByLine.get(line.id) ?? 0) + quantity);
          const subtotalCents = Math.round(line.unitCents * quantity - (line.discountCents * quantity) / line.quantity);
          refundLines.push({
            id: ID.refundLineItem(j, refundLineIndex++),
            lineItemId: line.id,
            quantity,
            subtotalCents,
          });
        }
      }
      refunds.push({ id: ID.refund(j, r), createdMs: createdAt, lines: refundLines });
      previousMs = createdAt;
    }
  }
  const refundedUnits = [...refundedByLine.values()].reduce((sum, quantity) => sum + quantity, 0);
  return { refunds, refundedUnits };
}
