/**
 * The shop's currency (ISO 4217), as a `full` sync records it from Shopify's `shop { currencyCode }`
 * in configuration_setting 'currency' (a JSON string, as the legacy app_settings held it); USD
 * until a sync has recorded one.
 */
import type { Queryable } from '#shared/db/types.ts';

export const SHOP_CURRENCY_SETTING = 'currency';
export const DEFAULT_CURRENCY = 'USD';

export async function shopCurrency(sql: Queryable): Promise<string> {
  const [row] = await sql<{ currency: string | null }[]>`
    select setting_value #>> '{}' as currency from configuration_setting where setting_key = ${SHOP_CURRENCY_SETTING}`;
  const currency = row?.currency?.trim().toUpperCase();
  return currency && /^[A-Z]{3}$/.test(currency) ? currency : DEFAULT_CURRENCY;
}
