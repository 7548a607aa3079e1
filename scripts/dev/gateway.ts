/**
 * Local development only: `wrangler dev` with several configs exposes just its first Worker, so
 * this gateway is that first Worker and routes to the two real ones over service bindings:
 * `/ingest/*` → the ingest Worker (path prefix removed), everything else → dashboard-api.
 * Deployed environments route by hostname instead and never run this file.
 */
interface GatewayEnv {
  DASHBOARD_API: Fetcher;
  INGEST: Fetcher;
}

export default {
  fetch(request: Request, env: GatewayEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/ingest' || url.pathname.startsWith('/ingest/')) {
      url.pathname = url.pathname.slice('/ingest'.length) || '/';
      return env.INGEST.fetch(new Request(url, request));
    }
    return env.DASHBOARD_API.fetch(request);
  },
} satisfies ExportedHandler<GatewayEnv>;
