/**
 * The ingest ProcedureExecutions, registered with the runner (the ingest Worker imports this file):
 * - `load`: one archived export → raw tables, in bounded resumable steps (load-procedure.ts).
 */
import './load-procedure.ts';
