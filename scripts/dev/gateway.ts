/**
 * Local development only: `wrangler dev` with several configs exposes just its first Worker, so
 * this gateway is that first Worker and routes to the two real ones over service bindings:
 * `/ingest/*` → the ingest Worker (path prefix removed), everything else → dashboard-api. Cron
 * Triggers fired by hand (`curl "http://localhost:8787/cdn-cgi/local/scheduled?cron=…"`) reach the
 * gateway too and are handed to the ingest Worker, whose schedules they are.
 *
 * Cloudflare Access's edge, played locally: `GET /__dev/login?email=…[&redirect=/console]` gets a
 * token for that email from the local Access signer (LOCAL_ACCESS_SIGNER_URL, set by `npm start`)
 * and keeps it in the CF_Authorization cookie, and every request carrying that cookie reaches
 * dashboard-api with the Cf-Access-Jwt-Assertion header, as Access adds it after its login. So a
 * browser can open the cutover console; a request with neither stays unauthenticated (401).
 *
 * `POST /__dev/requeue` {procedureExecutionId, step} sends an ingest queue message: a reload of the
 * dev session drops the queue's pending (delayed) messages, and `npm start` re-sends the message
 * of an execution left idle (a message for a step already taken is ignored by the runner).
 * Deployed environments route by hostname instead and never run this file.
 */
interface GatewayEnv {
  DASHBOARD_API: Fetcher;
  INGEST_QUEUE: Queue<{ procedureExecutionId: string; step: number }>;
  LOCAL_ACCESS_SIGNER_URL?: string;
  // Fetcher.scheduled() runs the bound Worker's scheduled handler (workerd; not in the stable types).
  INGEST: Fetcher & { scheduled(options: { scheduledTime?: Date; cron?: string }): Promise<unknown> };
}

const ACCESS_COOKIE = 'CF_Authorization';
const ACCESS_HEADER = 'Cf-Access-Jwt-Assertion';

async function login(url: URL, env: GatewayEnv): Promise<Response> {
  const email = url.searchParams.get('email');
  if (!env.LOCAL_ACCESS_SIGNER_URL || !email) {
    return new Response('sign in with /__dev/login?email=<a person’s email> under `npm start`\n', { status: 400 });
  }
  const minted = await fetch(`${env.LOCAL_ACCESS_SIGNER_URL}/token?email=${encodeURIComponent(email)}`);
  if (!minted.ok) return new Response(`the local Access signer answered ${minted.status}\n`, { status: 502 });
  const { token } = (await minted.json()) as { token: string };
  // Only a same-site path: never redirect elsewhere with a session.
  const redirect = url.searchParams.get('redirect') ?? '/console';
  return new Response(null, {
    status: 302,
    headers: {
      location: redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : '/console',
      'set-cookie': `${ACCESS_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax`,
    },
  });
}

function withAccessAssertion(request: Request): Request {
  if (request.headers.has(ACCESS_HEADER)) return request;
  const cookie = request.headers
    .get('cookie')
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${ACCESS_COOKIE}=`));
  if (!cookie) return request;
  const forwarded = new Request(request);
  forwarded.headers.set(ACCESS_HEADER, cookie.slice(ACCESS_COOKIE.length + 1));
  return forwarded;
}

export default {
  async fetch(request: Request, env: GatewayEnv): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/__dev/requeue') {
      const { procedureExecutionId, step } = (await request.json()) as { procedureExecutionId: string; step: number };
      await env.INGEST_QUEUE.send({ procedureExecutionId, step });
      return new Response(null, { status: 204 });
    }
    if (request.method === 'GET' && url.pathname === '/__dev/login') return login(url, env);
    if (url.pathname === '/ingest' || url.pathname.startsWith('/ingest/')) {
      url.pathname = url.pathname.slice('/ingest'.length) || '/';
      return env.INGEST.fetch(new Request(url, request));
    }
    return env.DASHBOARD_API.fetch(withAccessAssertion(request));
  },
  async scheduled(controller: ScheduledController, env: GatewayEnv): Promise<void> {
    await env.INGEST.scheduled({ scheduledTime: new Date(controller.scheduledTime), cron: controller.cron });
  },
} satisfies ExportedHandler<GatewayEnv>;
