/**
 * Shopify-style webhook deliveries: a JSON body signed with X-Shopify-Hmac-Sha256 (base64
 * HMAC-SHA256 of the raw body with the app's secret), plus the topic, shop, webhook id, event id,
 * API version and trigger time headers Shopify sends.
 */
import { createHmac, randomUUID } from 'node:crypto';

export const WEBHOOK_TOPICS = [
  'products/update',
  'products/delete',
  'orders/updated',
  'bulk_operations/finish',
] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

export function signWebhookBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

export interface WebhookDelivery {
  topic: string;
  webhookId: string;
  url: string;
  /** The HTTP status the receiver answered, or the network error. */
  status: number | null;
  error?: string;
  body: string;
  headers: Record<string, string>;
  at: string;
}

export interface SendWebhookOptions {
  url: string;
  secret: string;
  topic: string;
  shopDomain: string;
  apiVersion: string;
  payload: unknown;
  /** Reuse an id to simulate Shopify redelivering the same webhook. */
  webhookId?: string;
  /** Sign with another secret than the one configured (rotation and forgery tests). */
  signWith?: string;
  /** Send this exact body (e.g. with different whitespace) instead of JSON.stringify(payload). */
  rawBody?: string;
}

export async function sendWebhook(options: SendWebhookOptions): Promise<WebhookDelivery> {
  const body = options.rawBody ?? JSON.stringify(options.payload);
  const webhookId = options.webhookId ?? randomUUID();
  const at = new Date().toISOString();
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': options.topic,
    'X-Shopify-Hmac-Sha256': signWebhookBody(body, options.signWith ?? options.secret),
    'X-Shopify-Shop-Domain': options.shopDomain,
    'X-Shopify-Webhook-Id': webhookId,
    'X-Shopify-Event-Id': randomUUID(),
    'X-Shopify-API-Version': options.apiVersion,
    'X-Shopify-Triggered-At': at,
  };
  const delivery: WebhookDelivery = {
    topic: options.topic,
    webhookId,
    url: options.url,
    status: null,
    body,
    headers,
    at,
  };
  try {
    const response = await fetch(options.url, { method: 'POST', headers, body });
    delivery.status = response.status;
    await response.body?.cancel();
  } catch (error) {
    delivery.error = error instanceof Error ? error.message : String(error);
  }
  return delivery;
}
