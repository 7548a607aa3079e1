import { addProductTag, createTag, deleteTag, listTags, removeProductTag, updateTag } from '#shared/catalog/tags.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type {
  AddToProductRoute,
  CreateRoute,
  ListRoute,
  RemoveFromProductRoute,
  RemoveRoute,
  UpdateRoute,
} from './tags.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  return c.json(await listTags(c.var.database, c.req.valid('query')), HttpStatus.OK);
};

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  return c.json(await createTag(c.var.database, c.req.valid('json'), c.var.identity), HttpStatus.CREATED);
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const tag = await updateTag(c.var.database, c.req.valid('param').id, c.req.valid('json'), c.var.identity);
  return c.json(tag, HttpStatus.OK);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  await deleteTag(c.var.database, c.req.valid('param').id, c.var.identity);
  return c.body(null, HttpStatus.NO_CONTENT);
};

export const addToProduct: AppRouteHandler<AddToProductRoute> = async (c) => {
  const productTag = await addProductTag(c.var.database, c.req.valid('param').id, c.req.valid('json'), c.var.identity);
  return c.json(productTag, HttpStatus.CREATED);
};

export const removeFromProduct: AppRouteHandler<RemoveFromProductRoute> = async (c) => {
  const { id, tag_id } = c.req.valid('param');
  await removeProductTag(c.var.database, id, tag_id, c.var.identity);
  return c.body(null, HttpStatus.NO_CONTENT);
};
