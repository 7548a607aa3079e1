/**
 * What one line of a Shopify export means to the loader: which object it is (by its gid), its
 * parent (`__parentId`), and the consumed fields, validated and reduced to a compact payload the
 * load SQL reads. Unknown fields and unknown object types (Metafield, Video, …) are ignored; a
 * line of a known type that lacks a required field, or whose value would not fit the column, is
 * invalid with a reason that names the field (it goes to the quarantine, never into a failed
 * batch). Mapping to the legacy REST semantics (product.md): status enums lower-cased, numeric ids
 * from the gid's last path segment, money from `shopMoney.amount`.
 */

export const RESOURCES = ['products', 'orders', 'refunds', 'deletions'] as const;
export type ResourceName = (typeof RESOURCES)[number];

export type ObjectType = 'Product' | 'ProductVariant' | 'MediaImage' | 'Order' | 'LineItem' | 'Refund' | 'Deletion';

/** Which object types each resource's file carries, and which of them are children of which. */
export const RESOURCE_OBJECTS: Record<ResourceName, { parent: ObjectType; children: ObjectType[] }> = {
  products: { parent: 'Product', children: ['ProductVariant', 'MediaImage'] },
  orders: { parent: 'Order', children: ['LineItem'] },
  refunds: { parent: 'Refund', children: [] },
  deletions: { parent: 'Deletion', children: [] },
};

export interface StagedObject {
  objectType: ObjectType;
  /** Shopify numeric id, as a decimal string (ids are bigint in Postgres). */
  objectId: string;
  parentObjectId: string | null;
  payload: Record<string, unknown>;
}

export type ClassifiedLine =
  | { kind: 'object'; object: StagedObject }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d{1,19})(?:[?#].*)?$/;
const MAX_BIGINT = 9223372036854775807n;
const MAX_INT32 = 2147483647;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const PRODUCT_STATUSES = new Set(['active', 'archived', 'draft']);

export interface ParsedGid {
  type: string;
  id: string;
}

/** `gid://shopify/ProductVariant/123` → {type: 'ProductVariant', id: '123'}; null if not a Shopify gid. */
export function parseGid(value: unknown): ParsedGid | null {
  if (typeof value !== 'string') return null;
  const match = GID.exec(value);
  if (!match) return null;
  const digits = match[2] as string;
  // up to 18 digits without a leading zero is already a canonical bigint: no BigInt round trip
  if (digits.length < 19 && digits[0] !== '0') return { type: match[1] as string, id: digits };
  const id = BigInt(digits);
  if (id > MAX_BIGINT) return null;
  return { type: match[1] as string, id: id.toString() };
}

/** Classifies one parsed JSON line of `resource`'s export. */
export function classifyLine(resource: ResourceName, value: unknown): ClassifiedLine {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'line is not a JSON object' };
  }
  const line = value as Record<string, unknown>;
  try {
    if (resource === 'deletions') return classifyDeletion(line);
    const gid = parseGid(line.id);
    if (!gid) {
      return line.id === undefined
        ? { kind: 'ignored', reason: 'object without an id' }
        : { kind: 'invalid', reason: `id ${JSON.stringify(line.id)} is not a Shopify gid` };
    }
    const { parent, children } = RESOURCE_OBJECTS[resource];
    const type = gid.type as ObjectType;
    if (type !== parent && !children.includes(type)) return { kind: 'ignored', reason: `object type ${gid.type}` };
    let parentObjectId: string | null = null;
    if (type !== parent) {
      const parentGid = parseGid(line.__parentId);
      if (!parentGid || parentGid.type !== parent) {
        throw new FieldError('__parentId', `must be a ${parent} gid for a ${type} line`);
      }
      parentObjectId = parentGid.id;
    }
    const payload = PAYLOAD_BUILDERS[type](line);
    return { kind: 'object', object: { objectType: type, objectId: gid.id, parentObjectId, payload } };
  } catch (error) {
    if (error instanceof FieldError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
}

class FieldError extends Error {
  constructor(field: string, problem: string) {
    super(`${field} ${problem}`);
  }
}

type Line = Record<string, unknown>;

const PAYLOAD_BUILDERS: Record<ObjectType, (line: Line) => Record<string, unknown>> = {
  Product: (p) => {
    const status = requiredString(p, 'status').toLowerCase();
    if (!PRODUCT_STATUSES.has(status))
      throw new FieldError('status', `${JSON.stringify(p.status)} is not one of ACTIVE, ARCHIVED, DRAFT`);
    return {
      title: requiredString(p, 'title'),
      handle: requiredString(p, 'handle'),
      vendor: optionalString(p, 'vendor'),
      productType: optionalString(p, 'productType'),
      status,
      tags: tagList(p.tags),
      createdAt: requiredTimestamp(p, 'createdAt'),
      updatedAt: requiredTimestamp(p, 'updatedAt'),
      publishedAt: optionalTimestamp(p, 'publishedAt'),
    };
  },
  ProductVariant: (v) => ({
    title: requiredString(v, 'title'),
    sku: optionalString(v, 'sku'),
    price: requiredDecimal(v, 'price', v.price, 10),
    compareAtPrice: optionalDecimal('compareAtPrice', v.compareAtPrice, 10),
    inventoryQuantity: optionalInt32(v, 'inventoryQuantity'),
    createdAt: optionalTimestamp(v, 'createdAt'),
    updatedAt: optionalTimestamp(v, 'updatedAt'),
  }),
  MediaImage: (m) => {
    const image = m.image;
    if (typeof image !== 'object' || image === null) throw new FieldError('image', 'is missing (media not ready?)');
    const img = image as Line;
    // `url` since 2024; older queries (and the real sample) name it originalSrc / src
    const urlField = ['url', 'originalSrc', 'src'].find((f) => typeof img[f] === 'string') ?? 'url';
    const url = requiredString(img, urlField, 'image.url');
    const imageGid = parseGid(img.id);
    return {
      // Fixtures (and the legacy REST images) carry a ProductImage gid: its number is the legacy
      // assets.shopify_image_id. Live Shopify may answer an ImageSource gid, which is not: such an
      // image is matched by its URL without the query string instead.
      shopifyImageId: imageGid?.type === 'ProductImage' ? imageGid.id : null,
      url,
      urlPath: url.split('?')[0],
      alt: optionalString(m, 'alt') ?? optionalString(img, 'altText'),
    };
  },
  Order: (o) => ({
    name: requiredString(o, 'name'),
    processedAt: requiredTimestamp(o, 'processedAt'),
    createdAt: requiredTimestamp(o, 'createdAt'),
    updatedAt: requiredTimestamp(o, 'updatedAt'),
    cancelledAt: optionalTimestamp(o, 'cancelledAt'),
    currencyCode: requiredString(o, 'currencyCode'),
    financialStatus: optionalString(o, 'displayFinancialStatus')?.toLowerCase() ?? null,
    fulfillmentStatus: optionalString(o, 'displayFulfillmentStatus')?.toLowerCase() ?? null,
    subtotalPrice: requiredMoney(o, 'subtotalPriceSet', 12),
    totalDiscounts: optionalMoney(o, 'totalDiscountsSet', 12),
    totalTax: optionalMoney(o, 'totalTaxSet', 12),
    totalPrice: requiredMoney(o, 'totalPriceSet', 12),
    test: optionalBoolean(o, 'test'),
    refunds: refundStubs(o.refunds),
  }),
  LineItem: (li) => ({
    title: requiredString(li, 'title'),
    sku: optionalString(li, 'sku'),
    quantity: requiredInt32(li, 'quantity'),
    productId: optionalReferenceId(li, 'product', 'Product'),
    variantId: optionalReferenceId(li, 'variant', 'ProductVariant'),
    price: requiredMoney(li, 'originalUnitPriceSet', 10),
    totalDiscount: optionalMoney(li, 'totalDiscountSet', 12),
  }),
  Refund: (r) => {
    const order = parseGid((r.order as Line | null | undefined)?.id);
    if (order?.type !== 'Order') throw new FieldError('order.id', 'must be an Order gid');
    const connection = r.refundLineItems as Line | null | undefined;
    const nodes = connection?.nodes ?? (connection?.edges as Line[] | undefined)?.map((e) => e.node) ?? [];
    if (!Array.isArray(nodes)) throw new FieldError('refundLineItems.nodes', 'must be a list');
    const lines = nodes.map((node, index) => {
      const n = node as Line;
      const where = `refundLineItems.nodes[${index}]`;
      const id = parseGid(n?.id);
      if (!id) throw new FieldError(`${where}.id`, 'must be a RefundLineItem gid');
      const lineItem = parseGid((n.lineItem as Line | null | undefined)?.id);
      if (lineItem?.type !== 'LineItem') throw new FieldError(`${where}.lineItem.id`, 'must be a LineItem gid');
      return {
        id: id.id,
        lineItemId: lineItem.id,
        quantity: requiredInt32(n, 'quantity', `${where}.quantity`),
        subtotal: requiredMoney(n, 'subtotalSet', 12, `${where}.subtotalSet`),
      };
    });
    return { createdAt: requiredTimestamp(r, 'createdAt'), orderId: order.id, lines };
  },
  Deletion: () => ({}),
};

/** deletions.jsonl: `{subjectType:"PRODUCT",subjectId,action:"destroy",createdAt}` (Shopify events). */
function classifyDeletion(line: Line): ClassifiedLine {
  if (line.subjectType !== 'PRODUCT' || line.action !== 'destroy') {
    return { kind: 'ignored', reason: `event ${String(line.subjectType)}/${String(line.action)}` };
  }
  const subject =
    parseGid(line.subjectId) ??
    (typeof line.subjectId === 'string' || typeof line.subjectId === 'number'
      ? parseGid(`gid://shopify/Product/${line.subjectId}`)
      : null);
  if (!subject) throw new FieldError('subjectId', 'must be a Product gid or id');
  return {
    kind: 'object',
    object: {
      objectType: 'Deletion',
      objectId: subject.id,
      parentObjectId: null,
      payload: { deletedAt: optionalTimestamp(line, 'createdAt') },
    },
  };
}

function requiredString(line: Line, field: string, label = field): string {
  const value = line[field];
  if (typeof value !== 'string')
    throw new FieldError(label, value === undefined || value === null ? 'is missing' : 'must be a string');
  return value;
}

function optionalString(line: Line, field: string): string | null {
  const value = line[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new FieldError(field, 'must be a string or null');
  return value;
}

function requiredTimestamp(line: Line, field: string): string {
  const value = optionalTimestamp(line, field);
  if (value === null) throw new FieldError(field, 'is missing');
  return value;
}

function optionalTimestamp(line: Line, field: string): string | null {
  const value = line[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) {
    throw new FieldError(field, `${JSON.stringify(value)} is not an ISO 8601 timestamp`);
  }
  return value;
}

/** A decimal that fits numeric(p, 2): `integerDigits` = p - 2. Kept as text; Postgres rounds it like the legacy cast. */
function decimal(label: string, value: unknown, integerDigits: number): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || !DECIMAL.test(text.trim())) {
    throw new FieldError(label, `${JSON.stringify(value)} is not a decimal amount`);
  }
  const rounded = Math.abs(Number(text));
  if (!(rounded < 10 ** integerDigits - 0.005)) throw new FieldError(label, `${text} is out of range`);
  return text.trim();
}

function requiredDecimal(_line: Line, field: string, value: unknown, integerDigits: number): string {
  if (value === undefined || value === null) throw new FieldError(field, 'is missing');
  return decimal(field, moneyAmount(value) ?? value, integerDigits);
}

function optionalDecimal(field: string, value: unknown, integerDigits: number): string | null {
  if (value === undefined || value === null) return null;
  return decimal(field, moneyAmount(value) ?? value, integerDigits);
}

/** A MoneyV2 `{amount}` or a MoneyBag `{shopMoney: {amount}}`; undefined for anything else. */
function moneyAmount(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Line;
  if (typeof v.shopMoney === 'object' && v.shopMoney !== null) return (v.shopMoney as Line).amount;
  if ('amount' in v) return v.amount;
  return undefined;
}

function requiredMoney(line: Line, field: string, integerDigits: number, label = field): string {
  const bag = line[field];
  if (bag === undefined || bag === null) throw new FieldError(label, 'is missing');
  const amount = moneyAmount(bag);
  if (amount === undefined || amount === null) throw new FieldError(`${label}.shopMoney.amount`, 'is missing');
  return decimal(`${label}.shopMoney.amount`, amount, integerDigits);
}

function optionalMoney(line: Line, field: string, integerDigits: number): string | null {
  const bag = line[field];
  if (bag === undefined || bag === null) return null;
  const amount = moneyAmount(bag);
  if (amount === undefined || amount === null) return null;
  return decimal(`${field}.shopMoney.amount`, amount, integerDigits);
}

function int32(label: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > MAX_INT32) {
    throw new FieldError(label, `${JSON.stringify(value)} is not a 32-bit integer`);
  }
  return value;
}

function requiredInt32(line: Line, field: string, label = field): number {
  const value = line[field];
  if (value === undefined || value === null) throw new FieldError(label, 'is missing');
  return int32(label, value);
}

function optionalInt32(line: Line, field: string): number | null {
  const value = line[field];
  if (value === undefined || value === null) return null;
  return int32(field, value);
}

function optionalBoolean(line: Line, field: string): boolean | null {
  const value = line[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw new FieldError(field, 'must be a boolean');
  return value;
}

function optionalReferenceId(line: Line, field: string, type: string): string | null {
  const value = line[field];
  if (value === undefined || value === null) return null;
  const gid = parseGid((value as Line).id);
  if (!gid || gid.type !== type) throw new FieldError(`${field}.id`, `must be a ${type} gid`);
  return gid.id;
}

/** Tags as Shopify gives them (a list; a REST-style comma string is accepted too). Normalised in SQL like the legacy normalize_tags. */
function tagList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) {
    throw new FieldError('tags', 'must be a list of strings');
  }
  return value as string[];
}

function refundStubs(value: unknown): { id: string; createdAt: string }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new FieldError('refunds', 'must be a list');
  return value.map((r, index) => {
    const gid = parseGid((r as Line | null)?.id);
    if (gid?.type !== 'Refund') throw new FieldError(`refunds[${index}].id`, 'must be a Refund gid');
    const createdAt = optionalTimestamp(r as Line, 'createdAt');
    if (createdAt === null) throw new FieldError(`refunds[${index}].createdAt`, 'is missing');
    return { id: gid.id, createdAt };
  });
}
