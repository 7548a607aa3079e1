import {
  createAsset,
  createMapping as createAssetMapping,
  deleteMapping,
  listAssets,
  updateMapping as updateAssetMapping,
} from '#shared/catalog/assets.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type {
  CreateMappingRoute,
  CreateRoute,
  ListRoute,
  RemoveMappingRoute,
  UpdateMappingRoute,
} from './assets.routes.ts';

export const list: AppRouteHandler<ListRoute> = async (c) => {
  return c.json(await listAssets(c.var.database, c.req.valid('query')), HttpStatus.OK);
};

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  return c.json(await createAsset(c.var.database, c.req.valid('json'), c.var.identity), HttpStatus.CREATED);
};

export const createMapping: AppRouteHandler<CreateMappingRoute> = async (c) => {
  const mapping = await createAssetMapping(
    c.var.database,
    c.req.valid('param').id,
    c.req.valid('json'),
    c.var.identity,
  );
  return c.json(mapping, HttpStatus.CREATED);
};

export const updateMapping: AppRouteHandler<UpdateMappingRoute> = async (c) => {
  const mapping = await updateAssetMapping(
    c.var.database,
    c.req.valid('param').id,
    c.req.valid('json'),
    c.var.identity,
  );
  return c.json(mapping, HttpStatus.OK);
};

export const removeMapping: AppRouteHandler<RemoveMappingRoute> = async (c) => {
  await deleteMapping(c.var.database, c.req.valid('param').id, c.var.identity);
  return c.body(null, HttpStatus.NO_CONTENT);
};
