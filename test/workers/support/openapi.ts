/** What both Workers' OpenAPI documents promise of an Access-protected operation. */
import { expect } from 'vitest';

/**
 * The document declares the Cloudflare Access scheme, and each route ('get /path/{id}') requires it
 * and answers 400, 401 and 403 with the error envelope.
 */
// biome-ignore lint/suspicious/noExplicitAny: the document is read loosely; the assertions check it
export function expectAccessProtected(document: any, routes: readonly string[]): void {
  expect(document.components.securitySchemes.cloudflareAccess).toMatchObject({
    type: 'apiKey',
    in: 'header',
    name: 'Cf-Access-Jwt-Assertion',
  });
  for (const route of routes) {
    const [method, path] = route.split(' ') as [string, string];
    const operation = document.paths[path][method];
    expect(operation.security, route).toEqual([{ cloudflareAccess: [] }]);
    for (const status of ['400', '401', '403']) {
      expect(operation.responses[status]?.content['application/json'].schema, `${route} ${status}`).toEqual({
        $ref: '#/components/schemas/Error',
      });
    }
  }
}
