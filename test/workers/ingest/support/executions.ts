/** Waits for ProcedureExecutions run by the real queue consumer (miniflare delivers the messages). */

import type { Sql } from '#shared/db/types.ts';
import type { ProcedureExecutionRow } from '#shared/procedures/execution.ts';

export async function waitForExecution(
  sql: Sql,
  id: string,
  options: { timeoutMs?: number; until?: (row: ProcedureExecutionRow) => boolean } = {},
): Promise<ProcedureExecutionRow> {
  const until = options.until ?? ((row) => row.status === 'succeeded' || row.status === 'failed');
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  for (;;) {
    const [row] = await sql<
      ProcedureExecutionRow[]
    >`select * from procedure_execution where procedure_execution_id = ${id}`;
    if (row && until(row)) return row;
    if (Date.now() > deadline) {
      throw new Error(`execution ${id} did not get there in time: ${JSON.stringify(row)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The execution's row as it is now. */
export async function executionRow(sql: Sql, id: string): Promise<ProcedureExecutionRow> {
  const [row] = await sql<
    ProcedureExecutionRow[]
  >`select * from procedure_execution where procedure_execution_id = ${id}`;
  if (!row) throw new Error(`execution ${id} is gone`);
  return row;
}
