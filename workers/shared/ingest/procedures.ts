/**
 * The ingest ProcedureExecutions, registered with the runner (the ingest Worker imports this file):
 * - `load`: one archived export → raw tables, in bounded resumable steps (load-procedure.ts).
 * - `full`, `products`, `orders`: Shopify syncs (bulk operations → R2 → load), sync.ts.
 * - `replay`: archived exports loaded again, then the marts rebuilt (replay.ts).
 */
import './load-procedure.ts';
import './replay.ts';
import './sync.ts';
