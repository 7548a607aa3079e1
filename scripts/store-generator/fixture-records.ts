/**
 * The store as JSON lines, exactly as a Shopify bulk operation (and the refund and event queries)
 * writes them: the fixture format of shared/spec/product.md.
 */
import { gid, money, type OrderModel, type ProductModel } from './model.ts';
import { shopifyTimestamp } from './zoned-time.ts';

function moneyBag(cents: number, currency: string) {
  return { shopMoney: { amount: money(cents), currencyCode: currency } };
}

export function productRecords(p: ProductModel): { parent: object; children: object[] } {
  const productGid = gid('Product', p.id);
  const firstImage = p.images[0];
  const parent = {
    id: productGid,
    title: p.title,
    handle: p.handle,
    vendor: p.vendor,
    productType: p.productType,
    status: p.status,
    tags: p.tags,
    createdAt: shopifyTimestamp(p.createdMs),
    updatedAt: shopifyTimestamp(p.updatedMs),
    publishedAt: p.publishedMs === null ? null : shopifyTimestamp(p.publishedMs),
    featuredMedia: firstImage ? { id: gid('MediaImage', firstImage.mediaImageId) } : null,
  };
  const children: object[] = [];
  for (const v of p.variants) {
    children.push({
      id: gid('ProductVariant', v.id),
      title: v.title,
      sku: v.sku,
      price: money(v.priceCents),
      compareAtPrice: v.compareAtCents === null ? null : money(v.compareAtCents),
      inventoryQuantity: v.inventoryQuantity,
      createdAt: shopifyTimestamp(v.createdMs),
      updatedAt: shopifyTimestamp(v.updatedMs),
      __parentId: productGid,
    });
  }
  for (const image of p.images) {
    children.push({
      id: gid('MediaImage', image.mediaImageId),
      alt: image.alt,
      image: { id: gid('ProductImage', image.productImageId), url: image.url },
      __parentId: productGid,
    });
  }
  return { parent, children };
}

export function orderRecords(order: OrderModel, currency: string): { parent: object; children: object[] } {
  const orderGid = gid('Order', order.id);
  const parent = {
    id: orderGid,
    name: order.name,
    processedAt: shopifyTimestamp(order.processedMs),
    createdAt: shopifyTimestamp(order.createdMs),
    updatedAt: shopifyTimestamp(order.updatedMs),
    cancelledAt: order.cancelledMs === null ? null : shopifyTimestamp(order.cancelledMs),
    test: order.test,
    currencyCode: currency,
    displayFinancialStatus: order.financialStatus,
    displayFulfillmentStatus: order.fulfillmentStatus,
    subtotalPriceSet: moneyBag(order.subtotalCents, currency),
    totalDiscountsSet: moneyBag(order.discountCents, currency),
    totalTaxSet: moneyBag(order.taxCents, currency),
    totalPriceSet: moneyBag(order.totalCents, currency),
    refunds: order.refunds.map((refund) => ({
      id: gid('Refund', refund.id),
      createdAt: shopifyTimestamp(refund.createdMs),
    })),
  };
  const children = order.lines.map((line) => ({
    id: gid('LineItem', line.id),
    title: line.title,
    sku: line.sku,
    quantity: line.quantity,
    product: line.productId === null ? null : { id: gid('Product', line.productId) },
    variant: line.variantId === null ? null : { id: gid('ProductVariant', line.variantId) },
    originalUnitPriceSet: moneyBag(line.unitCents, currency),
    totalDiscountSet: moneyBag(line.discountCents, currency),
    __parentId: orderGid,
  }));
  return { parent, children };
}

export function refundRecords(order: OrderModel, currency: string): object[] {
  return order.refunds.map((refund) => ({
    id: gid('Refund', refund.id),
    createdAt: shopifyTimestamp(refund.createdMs),
    order: { id: gid('Order', order.id) },
    refundLineItems: {
      nodes: refund.lines.map((line) => ({
        id: gid('RefundLineItem', line.id),
        quantity: line.quantity,
        lineItem: { id: gid('LineItem', line.lineItemId) },
        subtotalSet: moneyBag(line.subtotalCents, currency),
      })),
    },
  }));
}
