/**
 * The ingest Worker's Shopify configuration, in two sections read where they are needed: the Admin
 * API settings (a sync) and the webhook secrets (a webhook), so a missing token does not refuse
 * webhooks and the reverse.
 */
import { z } from 'zod';
import { configSection, present, trimmedOrUnset } from '../config.ts';

/** What the Shopify client needs: spread into createShopifyClient (./client.ts). */
export interface ShopifyConfig {
  shopDomain: string;
  accessToken: string;
  adminApiUrl?: string;
}

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

export const shopifySection = configSection<ShopifyConfig>(
  'Shopify',
  z
    .object({
      SHOPIFY_SHOP_DOMAIN: present('variable', 'the shop, e.g. your-shop.myshopify.com').pipe(
        z.string().regex(SHOP_DOMAIN, { error: (issue) => `expected *.myshopify.com, got ${issue.input}` }),
      ),
      SHOPIFY_ACCESS_TOKEN: present('secret', 'the Admin API access token (wrangler secret put)'),
      /** Overrides https://{domain}/admin/api/{version}/graphql.json: the simulator in dev and tests. */
      SHOPIFY_ADMIN_API_URL: z.preprocess(
        trimmedOrUnset,
        z
          .string()
          .refine(URL.canParse, { error: (issue) => `not a URL: ${issue.input}` })
          .optional(),
      ),
    })
    .transform((vars) => ({
      shopDomain: vars.SHOPIFY_SHOP_DOMAIN,
      accessToken: vars.SHOPIFY_ACCESS_TOKEN,
      ...(vars.SHOPIFY_ADMIN_API_URL ? { adminApiUrl: vars.SHOPIFY_ADMIN_API_URL } : {}),
    })),
);

/** The webhook secrets to accept, current first: the previous one stays valid during a rotation. */
export const webhookSecretsSection = configSection<string[]>(
  'Shopify',
  z
    .object({
      SHOPIFY_WEBHOOK_SECRET: present('secret', "the app's webhook signing secret (wrangler secret put)"),
      /** Optional, so not among the config's required secrets: set only while rotating. */
      SHOPIFY_WEBHOOK_SECRET_PREVIOUS: z.preprocess(trimmedOrUnset, z.string().optional()),
    })
    .transform(({ SHOPIFY_WEBHOOK_SECRET: current, SHOPIFY_WEBHOOK_SECRET_PREVIOUS: previous }) =>
      previous && previous !== current ? [current, previous] : [current],
    ),
);

/** The Shopify Admin API settings, or a ConfigurationError naming every missing or invalid one. */
export function shopifyConfig(env: object): ShopifyConfig {
  return shopifySection.read(env);
}

/** The webhook secrets to accept, current first; a ConfigurationError when none is set. */
export function shopifyWebhookSecrets(env: object): string[] {
  return webhookSecretsSection.read(env);
}
