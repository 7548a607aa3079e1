import { getProductDetail, listProducts } from '#shared/catalog/products.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type { DetailRoute, ListRoute } from './products.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const page = await listProducts(c.var.database, c.req.valid('query'));
  return c.json(page, HttpStatus.OK);
};

export const detail: AppRouteHandler<DetailRoute> = async (c) => {
  const product = await getProductDetail(c.var.database, c.req.valid('param').id);
  return c.json(product, HttpStatus.OK);
};
