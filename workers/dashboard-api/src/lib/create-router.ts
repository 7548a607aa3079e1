import { OpenAPIHono } from '@hono/zod-openapi';
import type { AccessBindings } from '#shared/access/middleware.ts';

/** A router for one resource; validation failures use the app's defaultHook (the 400 envelope). */
export function createRouter() {
  return new OpenAPIHono<AccessBindings>();
}
