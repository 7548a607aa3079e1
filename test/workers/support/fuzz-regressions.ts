/**
 * Shrunk counterexamples the fuzz properties found (test/workers/support/fuzz.ts), by property
 * name, each the property's arguments as fast-check printed them ("Counterexample: [...]"). They
 * run first on every run, so a fixed bug stays fixed. Add one when a property fails, with the
 * commit that fixed what it found.
 */
const bytes = (text: string) => new TextEncoder().encode(text);

export const REGRESSIONS: Record<string, unknown[][]> = {
  // A products/delete without a product id was refused 400 after its receipt was recorded (so a
  // resend was a 200 duplicate): now refused before anything is recorded.
  'POST /webhooks/shopify products/delete': [[bytes('{"id":"","admin_graphql_api_id":"","title":""}')]],
  // A bulk_operations/finish whose body is JSON null was a 500 (a property read of null); one whose
  // operation id holds a NUL was a 500 too (Postgres text cannot hold it: the lookup now uses the
  // storable text, which matches no operation).
  'POST /webhooks/shopify bulk_operations/finish': [
    [bytes('null')],
    [bytes('{"id":"0","admin_graphql_api_id":"\\u0000","title":""}')],
  ],
};
