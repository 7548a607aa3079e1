/** The dashboard-api Worker: the legacy REST contract behind Cloudflare Access. */
import { createApp } from './app.ts';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<DashboardApiEnv>;
