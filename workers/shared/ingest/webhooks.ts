/**
 * Shopify webhooks on the ingest Worker (POST /webhooks/shopify).
 *
 * Verification: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body; it is checked
 * with WebCrypto's HMAC verify (a constant-time comparison) against the current secret and, during
 * a rotation, the previous one. A bad or missing signature is answered 401 and nothing is stored.
 * Bodies over WEBHOOK_MAX_BYTES are refused (413) before they are read in full.
 *
 * Each accepted webhook is recorded once in webhook_receipt, keyed by X-Shopify-Webhook-Id: a
 * redelivery is answered 200 and does nothing. What a topic does:
 * - products/delete: the deletion is archived in R2 as a one-line deletions export and loaded
 *   by a `load` execution (so a replay rebuilds the tombstone too);
 * - products/update, orders/updated: an incremental sync is enqueued (skipped while one is
 *   active: it or the next scheduled one picks the change up); the data path stays the bulk path;
 * - bulk_operations/finish: the sync waiting for that operation is woken now instead of at its
 *   next poll;
 * - any other topic is recorded and acknowledged.
 */

import { and, eq, sql as sqlText } from 'drizzle-orm';
import { procedureExecution, webhookReceipt } from '#db/schema.ts';
import { storableText } from '#shared/db/storable.ts';
import { drizzleOf, jsonbValue } from '#shared/db/transaction.ts';
import type { Sql } from '#shared/db/types.ts';
import { freshReadCondition } from '../db/fresh.ts';
import type { Env } from '../env.ts';
import { DomainError } from '../errors.ts';
import { admit } from '../http/rate-limit.ts';
import { log } from '../logging.ts';
import { ExecutionConflictError } from '../procedures/execution.ts';
import { enqueueExecution, nudgeExecution } from '../procedures/runner.ts';
import { shopifyWebhookSecrets } from '../shopify/config.ts';
import { archiveJsonl, archiveKey, recordArchivedObject } from './archive.ts';

export const WEBHOOK_MAX_BYTES = 1024 * 1024;

export interface WebhookOutcome {
  status: 'accepted' | 'duplicate';
  topic: string;
  action: string;
  procedureExecutionId?: string;
}

/** Reads at most `limit` bytes of a body; null when it is longer. */
export async function readBodyWithin(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!request.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    body.set(part, offset);
    offset += part.length;
  }
  return body;
}

function base64ToBytes(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** True when `signature` (base64) is the HMAC-SHA256 of `body` under one of `secrets`. */
export async function verifyShopifyHmac(
  body: Uint8Array,
  signature: string | null,
  secrets: string[],
): Promise<boolean> {
  const expected = signature ? base64ToBytes(signature) : null;
  if (expected?.length !== 32) return false;
  let valid = false;
  // every secret is tried, so the time taken does not tell which one matched
  for (const secret of secrets) {
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    if (await crypto.subtle.verify('HMAC', key, expected, body)) valid = true;
  }
  return valid;
}

/**
 * Verifies, records and acts on one webhook request. Throws DomainError (unauthenticated / invalid / too_large) and
 * RateLimitedError (429) past `limiter` (the ingest Worker's WEBHOOK_RATE_LIMITER), per shop.
 */
export async function receiveShopifyWebhook(
  sql: Sql,
  env: Env,
  request: Request,
  limiter: RateLimit | undefined,
): Promise<WebhookOutcome> {
  const secrets = shopifyWebhookSecrets(env);
  const body = await readBodyWithin(request, WEBHOOK_MAX_BYTES);
  if (body === null) throw new DomainError('too_large', `webhook body larger than ${WEBHOOK_MAX_BYTES} bytes`);
  if (!(await verifyShopifyHmac(body, request.headers.get('x-shopify-hmac-sha256'), secrets))) {
    log.warn('webhook refused: bad or missing signature', { topic: request.headers.get('x-shopify-topic') });
    throw new DomainError('unauthenticated', 'the X-Shopify-Hmac-Sha256 signature does not match the body');
  }
  // Per shop, after the signature: a forged request cannot spend a shop's allowance.
  const shop = request.headers.get('x-shopify-shop-domain')?.trim().toLowerCase() || 'unknown';
  await admit(limiter, `shop:${shop}`, `webhooks from ${shop}`);
  const webhookId = request.headers.get('x-shopify-webhook-id')?.trim();
  const topic = request.headers.get('x-shopify-topic')?.trim();
  if (!webhookId || !topic) throw new DomainError('invalid', 'X-Shopify-Webhook-Id and X-Shopify-Topic are required');
  const text = new TextDecoder().decode(body);
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new DomainError('invalid', 'the webhook body is not JSON');
  }
  // refused before anything is recorded: a 400 changes nothing
  if (topic === 'products/delete' && !deletedProductId(text)) {
    throw new DomainError('invalid', 'products/delete webhook without a product id');
  }
  const db = drizzleOf(sql);
  const [receipt] = await db
    .insert(webhookReceipt)
    .values({
      webhookId,
      topicName: topic,
      shopDomain: request.headers.get('x-shopify-shop-domain'),
      // an authentic webhook is recorded and acted on even when it holds text jsonb refuses (jsonbValue
      // stores it as U+FFFD): a refusal would only make Shopify resend it
      payload: jsonbValue(payload),
    })
    .onConflictDoNothing({ target: webhookReceipt.webhookId })
    .returning({ webhookId: webhookReceipt.webhookId });
  if (!receipt) return { status: 'duplicate', topic, action: 'none' };

  const outcome = await actOn(sql, env, { topic, webhookId, text, payload, request });
  if (outcome.procedureExecutionId) {
    await db
      .update(webhookReceipt)
      .set({ procedureExecutionId: outcome.procedureExecutionId })
      .where(eq(webhookReceipt.webhookId, webhookId));
  }
  log.info('webhook accepted', { topic, webhook_id: webhookId, action: outcome.action });
  return { status: 'accepted', topic, ...outcome };
}

/** The product id of a products/delete body, from the raw text (JSON.parse would round one beyond 2^53). */
function deletedProductId(text: string): string | undefined {
  return /"id"\s*:\s*"?(\d+)"?/.exec(text)?.[1];
}

async function actOn(
  sql: Sql,
  env: Env,
  input: { topic: string; webhookId: string; text: string; payload: unknown; request: Request },
): Promise<{ action: string; procedureExecutionId?: string }> {
  const trigger = `webhook:${input.topic}`;
  switch (input.topic) {
    case 'products/delete': {
      const id = deletedProductId(input.text) as string;
      const deletedAt = input.request.headers.get('x-shopify-triggered-at') ?? new Date().toISOString();
      const line = JSON.stringify({
        subjectType: 'PRODUCT',
        subjectId: `gid://shopify/Product/${id}`,
        action: 'destroy',
        createdAt: deletedAt,
      });
      const key = archiveKey('deletions', 'webhook', input.webhookId);
      const archived = await archiveJsonl(env.RAW_ARCHIVE, key, [new TextEncoder().encode(`${line}\n`)]);
      const entity = await recordArchivedObject(sql, archived, { resource: 'deletions', procedureExecutionId: null });
      const load = await enqueueExecution(sql, env.INGEST_QUEUE, {
        kind: 'load',
        triggerSource: trigger,
        parameters: { information_bearing_entity_id: entity.information_bearing_entity_id },
      });
      return { action: 'tombstone', procedureExecutionId: load.procedure_execution_id };
    }
    case 'products/update':
    case 'orders/updated': {
      try {
        const sync = await enqueueExecution(sql, env.INGEST_QUEUE, {
          kind: 'full',
          triggerSource: trigger,
          parameters: { mode: 'incremental' },
          concurrencyKey: 'full',
        });
        return { action: 'incremental sync', procedureExecutionId: sync.procedure_execution_id };
      } catch (error) {
        if (!(error instanceof ExecutionConflictError)) throw error;
        return { action: 'sync already active' };
      }
    }
    case 'bulk_operations/finish': {
      const operationId = (input.payload as { admin_graphql_api_id?: unknown } | null)?.admin_graphql_api_id;
      if (typeof operationId !== 'string') return { action: 'none' };
      const waiting = await drizzleOf(sql)
        .select({ id: procedureExecution.procedureExecutionId })
        .from(procedureExecution)
        .where(
          and(
            eq(procedureExecution.status, 'waiting'),
            eq(sqlText`${procedureExecution.checkpointState} ->> 'operationId'`, storableText(operationId)),
            freshReadCondition,
          ),
        );
      for (const { id } of waiting) await nudgeExecution(sql, env.INGEST_QUEUE, id);
      return waiting[0] ? { action: 'sync woken', procedureExecutionId: waiting[0].id } : { action: 'none' };
    }
    default:
      return { action: 'none' };
  }
}
