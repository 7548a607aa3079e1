/** How both Workers' OpenAPI documents describe Cloudflare Access: one scheme, required by each protected operation. */
import { ACCESS_TOKEN_HEADER } from './middleware.ts';

export const ACCESS_SECURITY = [{ cloudflareAccess: [] }];
export const ACCESS_SECURITY_SCHEME = {
  type: 'apiKey',
  in: 'header',
  name: ACCESS_TOKEN_HEADER,
  description:
    'The Cloudflare Access JWT. Access adds it to every request that passed its login; locally, mint one with `node scripts/dev/access-signer.ts token --email <email>`.',
} as const;
