/**
 * The bindings and variables both Workers receive, parsed once at the edge so a missing binding
 * or a bad variable is a clear configuration error naming it, never a stack trace mid-request.
 */
import { z } from 'zod';
import type { IngestMessage } from './procedures/messages.ts';

export interface Env {
  /** The new PlanetScale Postgres database, through Hyperdrive. */
  HYPERDRIVE: Hyperdrive;
  /** The legacy Supabase database, read-only, through Hyperdrive (parity checks only). */
  LEGACY_HYPERDRIVE: Hyperdrive;
  /** Raw Shopify exports as gzip JSONL (information_bearing_entity). */
  RAW_ARCHIVE: R2Bucket;
  /** ProcedureExecutions to run on the ingest Worker's queue consumer. */
  INGEST_QUEUE: Queue<IngestMessage>;
  ENVIRONMENT: string;
  /** `your-shop.myshopify.com` (var). */
  SHOPIFY_SHOP_DOMAIN?: string;
  /** Overrides https://{domain}/admin/api/{version}/graphql.json: the simulator in dev and tests (var). */
  SHOPIFY_ADMIN_API_URL?: string;
  /** Admin API access token of the custom app (secret). */
  SHOPIFY_ACCESS_TOKEN?: string;
  /** The app's webhook signing secret (secret); the previous one stays valid during a rotation. */
  SHOPIFY_WEBHOOK_SECRET?: string;
  SHOPIFY_WEBHOOK_SECRET_PREVIOUS?: string;
  /** Writes and triggers per identity ([[ratelimits]]; workers/shared/http/rate-limit.ts). */
  WRITE_RATE_LIMITER?: RateLimit;
  /** Shopify webhooks per shop (ingest Worker). */
  WEBHOOK_RATE_LIMITER?: RateLimit;
  [key: string]: unknown;
}

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;

const varsSchema = z.object({
  ENVIRONMENT: z.enum(ENVIRONMENTS, { message: `must be one of ${ENVIRONMENTS.join(', ')}` }),
});

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

const REQUIRED_BINDINGS = {
  HYPERDRIVE: 'a Hyperdrive binding to the new database ([[hyperdrive]] binding = "HYPERDRIVE")',
  LEGACY_HYPERDRIVE: 'a Hyperdrive binding to the legacy database ([[hyperdrive]] binding = "LEGACY_HYPERDRIVE")',
  RAW_ARCHIVE: 'an R2 bucket binding ([[r2_buckets]] binding = "RAW_ARCHIVE")',
  INGEST_QUEUE: 'a Queue producer binding ([[queues.producers]] binding = "INGEST_QUEUE")',
} as const;

export type BindingName = keyof typeof REQUIRED_BINDINGS;

/** Throws a ConfigurationError naming every missing binding and invalid variable. */
export function checkEnv(env: Partial<Env>, bindings: readonly BindingName[]): void {
  const problems: string[] = [];
  for (const name of bindings) {
    if (!env[name]) problems.push(`missing binding ${name}: expected ${REQUIRED_BINDINGS[name]}`);
  }
  const hyperdrive = env.HYPERDRIVE;
  if (hyperdrive && bindings.includes('HYPERDRIVE') && !hyperdrive.connectionString) {
    problems.push('binding HYPERDRIVE has no connection string');
  }
  const vars = varsSchema.safeParse(env);
  if (!vars.success) {
    for (const issue of vars.error.issues) problems.push(`variable ${issue.path.join('.')}: ${issue.message}`);
  }
  if (problems.length > 0) throw new ConfigurationError(`Worker configuration is invalid:\n- ${problems.join('\n- ')}`);
}

/** What the Shopify client needs: spread into createShopifyClient (workers/shared/shopify/client.ts). */
export interface ShopifyConfig {
  shopDomain: string;
  accessToken: string;
  adminApiUrl?: string;
}

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/** The Shopify Admin API settings, or a ConfigurationError naming every missing or invalid one. */
export function shopifyConfig(env: Partial<Env>): ShopifyConfig {
  const problems: string[] = [];
  const shopDomain = env.SHOPIFY_SHOP_DOMAIN?.trim();
  const accessToken = env.SHOPIFY_ACCESS_TOKEN?.trim();
  const adminApiUrl = env.SHOPIFY_ADMIN_API_URL?.trim() || undefined;
  if (!shopDomain) problems.push('missing variable SHOPIFY_SHOP_DOMAIN: the shop, e.g. your-shop.myshopify.com');
  else if (!SHOP_DOMAIN.test(shopDomain))
    problems.push(`variable SHOPIFY_SHOP_DOMAIN: expected *.myshopify.com, got ${shopDomain}`);
  if (!accessToken)
    problems.push('missing secret SHOPIFY_ACCESS_TOKEN: the Admin API access token (wrangler secret put)');
  if (adminApiUrl && !URL.canParse(adminApiUrl))
    problems.push(`variable SHOPIFY_ADMIN_API_URL: not a URL: ${adminApiUrl}`);
  if (problems.length > 0 || !shopDomain || !accessToken) {
    throw new ConfigurationError(`Shopify configuration is invalid:\n- ${problems.join('\n- ')}`);
  }
  return adminApiUrl ? { shopDomain, accessToken, adminApiUrl } : { shopDomain, accessToken };
}

/** The webhook secrets to accept, current first; a ConfigurationError when none is set. */
export function shopifyWebhookSecrets(env: Partial<Env>): string[] {
  const current = env.SHOPIFY_WEBHOOK_SECRET?.trim();
  if (!current) {
    throw new ConfigurationError(
      "Shopify configuration is invalid:\n- missing secret SHOPIFY_WEBHOOK_SECRET: the app's webhook signing secret (wrangler secret put)",
    );
  }
  const previous = env.SHOPIFY_WEBHOOK_SECRET_PREVIOUS?.trim();
  return previous && previous !== current ? [current, previous] : [current];
}
