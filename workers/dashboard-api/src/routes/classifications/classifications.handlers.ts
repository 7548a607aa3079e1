import {
  recomputeClassifications,
  removeClassificationOverride,
  setClassificationOverride,
} from '#shared/catalog/classification-overrides.ts';
import { getClassificationDistribution } from '#shared/marts/classification.ts';
import * as HttpStatus from '../../lib/http-status.ts';
import type { AppRouteHandler } from '../../lib/types.ts';
import type {
  DistributionRoute,
  RecomputeRoute,
  RemoveOverrideRoute,
  SetOverrideRoute,
} from './classifications.routes.ts';

export const distribution: AppRouteHandler<DistributionRoute> = async (c) => {
  return c.json(await getClassificationDistribution(c.var.database.sql), HttpStatus.OK);
};

export const recompute: AppRouteHandler<RecomputeRoute> = async (c) => {
  const { as_of } = c.req.valid('json');
  const updated = await recomputeClassifications(c.var.database, as_of ?? null, c.var.identity);
  return c.json({ updated }, HttpStatus.OK);
};

export const setOverride: AppRouteHandler<SetOverrideRoute> = async (c) => {
  const classification = await setClassificationOverride(
    c.var.database,
    c.req.valid('param').id,
    c.req.valid('json'),
    c.var.identity,
  );
  return c.json(classification, HttpStatus.OK);
};

export const removeOverride: AppRouteHandler<RemoveOverrideRoute> = async (c) => {
  const classification = await removeClassificationOverride(c.var.database, c.req.valid('param').id, c.var.identity);
  return c.json(classification, HttpStatus.OK);
};
