/**
 * Local development only: `wrangler dev` with several configs exposes just its first Worker, so
 * this gateway is that first Worker and routes to the two real ones over service bindings:
 * `/ingest/*` → the ingest Worker (path prefix removed), everything else → dashboard-api. Cron
 * Triggers fired by hand (`curl "http://localhost:8787/cdn-cgi/local/scheduled?cron=…"`) reach the
 * gateway too and are handed to the ingest Worker, whose schedules they are.
 *
 * `POST /__dev/requeue` {procedureExecutionId, step} sends an ingest queue message: a reload of the
 * dev session drops the queue's pending (delayed) messages, and `npm start` re-sends the message
 * of an execution left idle (a message for a step already taken is ignored by the runner).
 * Deployed environments route by hostname instead and never run this file.
 */
interface GatewayEnv {
  DASHBOARD_API: Fetcher;
  INGEST_QUEUE: Queue<{ procedureExecutionId: string; step: number }>;
  // Fetcher.scheduled() runs the bound Worker's scheduled handler (workerd; not in the stable types).
  INGEST: Fetcher & { scheduled(options: { scheduledTime?: Date; cron?: string }): Promise<unknown> };
}

export default {
  async fetch(request: Request, env: GatewayEnv): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/__dev/requeue') {
      const { procedureExecutionId, step } = (await request.json()) as { procedureExecutionId: string; step: number };
      await env.INGEST_QUEUE.send({ procedureExecutionId, step });
      return new Response(null, { status: 204 });
    }
    if (url.pathname === '/ingest' || url.pathname.startsWith('/ingest/')) {
      url.pathname = url.pathname.slice('/ingest'.length) || '/';
      return env.INGEST.fetch(new Request(url, request));
    }
    return env.DASHBOARD_API.fetch(request);
  },
  async scheduled(controller: ScheduledController, env: GatewayEnv): Promise<void> {
    await env.INGEST.scheduled({ scheduledTime: new Date(controller.scheduledTime), cron: controller.cron });
  },
} satisfies ExportedHandler<GatewayEnv>;
