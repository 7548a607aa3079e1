/**
 * Retention, run daily by the ingest Worker's cron (workers/ingest/src/scheduled.ts), each limit
 * a variable of the environment:
 * - webhook payloads (customer emails and addresses) are redacted after RETENTION_WEBHOOK_PAYLOAD_DAYS
 *   (default 30): the receipt stays, with its webhook id (the dedupe key), topic, shop, time and
 *   execution, and the payload keeps only the object's id;
 * - quarantined lines older than RETENTION_QUARANTINED_LINE_DAYS (default 90) are deleted;
 * - finished executions older than RETENTION_EXECUTION_DAYS (default 90) are deleted.
 * Never pruned: what an audit event names (staff_action), parity runs (the cutover gate's
 * evidence), and anything from the still-open cutover window, which starts at the earliest window
 * of the parity runs of the last CUTOVER_HOLD_DAYS days (while the parallel run goes on, parity
 * runs keep it open; some weeks after the last one it closes by itself).
 * Each run deletes at most BATCH rows per table, so a first run over a long history stays short;
 * the next days take the rest.
 */
import { z } from 'zod';
import type { Queryable } from '#shared/db/types.ts';
import { blankAsUnset, configSection } from './config.ts';

export interface RetentionPolicy {
  webhookPayloadDays: number;
  quarantinedLineDays: number;
  executionDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  webhookPayloadDays: 30,
  quarantinedLineDays: 90,
  executionDays: 90,
};

/** Parity runs this recent hold the cutover window open. */
export const CUTOVER_HOLD_DAYS = 30;
const BATCH = 10_000;

const days = (fallback: number) =>
  z.preprocess(
    blankAsUnset,
    z.coerce
      .number({ message: 'must be a whole number of days ≥ 1' })
      .int('must be a whole number of days ≥ 1')
      .min(1, 'must be a whole number of days ≥ 1')
      .default(fallback),
  );

/** RETENTION_*_DAYS, a section of the ingest Worker's configuration; defaults when unset or blank. */
export const retentionSection = configSection<RetentionPolicy>(
  'Retention',
  z
    .object({
      RETENTION_WEBHOOK_PAYLOAD_DAYS: days(DEFAULT_RETENTION.webhookPayloadDays),
      RETENTION_QUARANTINED_LINE_DAYS: days(DEFAULT_RETENTION.quarantinedLineDays),
      RETENTION_EXECUTION_DAYS: days(DEFAULT_RETENTION.executionDays),
    })
    .transform((vars) => ({
      webhookPayloadDays: vars.RETENTION_WEBHOOK_PAYLOAD_DAYS,
      quarantinedLineDays: vars.RETENTION_QUARANTINED_LINE_DAYS,
      executionDays: vars.RETENTION_EXECUTION_DAYS,
    })),
);

export interface RetentionOutcome {
  webhook_payloads_redacted: number;
  quarantined_lines_deleted: number;
  executions_deleted: number;
  /** Where the still-open cutover window starts (nothing from it on is pruned), or null. */
  cutover_hold_since: string | null;
}

export async function applyRetention(sql: Queryable, policy: RetentionPolicy): Promise<RetentionOutcome> {
  const [hold] = await sql<{ since: string | null }[]>`
    select to_char(min(window_from_date), 'YYYY-MM-DD') as since from parity_check_execution
    where started_at > now() - make_interval(days => ${CUTOVER_HOLD_DAYS})`;
  const since = hold?.since ?? null;
  const redacted = await sql`
    update webhook_receipt
       set payload = jsonb_strip_nulls(jsonb_build_object('id', payload -> 'id', 'redacted_at', now()))
     where webhook_id in (
       select webhook_id from webhook_receipt
        where received_at < now() - make_interval(days => ${policy.webhookPayloadDays})
          and not (payload ? 'redacted_at')
        limit ${BATCH})`;
  const quarantined = await sql`
    delete from quarantined_line
     where quarantined_line_id in (
       select q.quarantined_line_id from quarantined_line q
        where q.created_at < now() - make_interval(days => ${policy.quarantinedLineDays})
          and (${since}::text is null or q.created_at < ${since}::text::date)
          and not exists (select 1 from staff_action a
                           where a.target_kind = 'procedure_execution'
                             and a.target_id = q.procedure_execution_id::text)
        limit ${BATCH})`;
  const executions = await sql`
    delete from procedure_execution
     where procedure_execution_id in (
       select e.procedure_execution_id from procedure_execution e
        where e.status in ('succeeded', 'failed')
          and e.finished_at < now() - make_interval(days => ${policy.executionDays})
          and (${since}::text is null or e.finished_at < ${since}::text::date)
          and not exists (select 1 from staff_action a
                           where a.target_kind = 'procedure_execution'
                             and a.target_id = e.procedure_execution_id::text)
          and not exists (select 1 from parity_check_execution p
                           where p.procedure_execution_id = e.procedure_execution_id)
          and not exists (select 1 from procedure_execution c
                           where c.parent_procedure_execution_id = e.procedure_execution_id
                             and c.status not in ('succeeded', 'failed'))
        limit ${BATCH})`;
  return {
    webhook_payloads_redacted: redacted.count,
    quarantined_lines_deleted: quarantined.count,
    executions_deleted: executions.count,
    cutover_hold_since: since,
  };
}
