/**
 * `node scripts/shopify-simulator/cli.ts --fixture <dir> | --generate --products N --orders M [--seed S]
 *   [--timezone TZ] [--shuffle-children] [--port P] [--webhook-url URL] [--webhook-secret S]`
 *
 * Runs the Shopify simulator until Ctrl-C and prints where its Admin API and control API are.
 */
import { parseArgs } from 'node:util';
import { startShopifySimulator } from './server.ts';

const USAGE =
  'usage: node scripts/shopify-simulator/cli.ts (--fixture <dir> | --generate --products N --orders M [--seed S] ' +
  '[--timezone TZ] [--days D] [--start-date YYYY-MM-DD] [--shuffle-children]) [--port P] [--webhook-url URL] ' +
  '[--webhook-secret SECRET] [--access-token TOKEN]';

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixture: { type: 'string' },
      generate: { type: 'boolean', default: false },
      products: { type: 'string' },
      orders: { type: 'string' },
      seed: { type: 'string' },
      timezone: { type: 'string' },
      days: { type: 'string' },
      'start-date': { type: 'string' },
      'shuffle-children': { type: 'boolean', default: false },
      port: { type: 'string' },
      host: { type: 'string' },
      'webhook-url': { type: 'string' },
      'webhook-secret': { type: 'string' },
      'access-token': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (Boolean(values.fixture) === values.generate) throw new Error('give exactly one of --fixture <dir> or --generate');
  const simulator = await startShopifySimulator({
    port: count('port', values.port, 8790),
    host: values.host,
    fixtureDir: values.fixture,
    generate: values.generate
      ? {
          seed: count('seed', values.seed, 1),
          products: count('products', values.products, 50),
          orders: count('orders', values.orders, 500),
          timezone: values.timezone,
          days: values.days === undefined ? undefined : count('days', values.days, 90),
          startDate: values['start-date'],
          shuffleChildren: values['shuffle-children'],
        }
      : undefined,
    webhookUrl: values['webhook-url'],
    webhookSecret: values['webhook-secret'],
    accessToken: values['access-token'],
  });
  console.log(
    JSON.stringify(
      {
        url: simulator.url,
        adminApiUrl: simulator.adminApiUrl,
        shopDomain: simulator.shopDomain,
        accessToken: simulator.accessToken,
        webhookSecret: simulator.webhookSecret,
        control: `${simulator.url}/__simulator/`,
      },
      null,
      2,
    ),
  );
  const stop = async () => {
    await simulator.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`shopify-simulator: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exitCode = 1;
});
