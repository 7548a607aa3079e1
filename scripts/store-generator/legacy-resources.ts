/**
 * The store as Shopify REST resources: the input of the legacy database's ingest_product(jsonb)
 * and ingest_order(jsonb).
 */
import { money, type OrderModel, type ProductModel } from './model.ts';
import type { LegacyOrder, LegacyProduct } from './store-shapes.ts';
import { shopifyTimestamp } from './zoned-time.ts';

export function legacyProduct(p: ProductModel): LegacyProduct {
  return {
    id: p.id,
    title: p.title,
    handle: p.handle,
    vendor: p.vendor,
    product_type: p.productType,
    status: p.status.toLowerCase() as LegacyProduct['status'],
    // REST joins tags with ", "; normalize_tags splits, trims, lower-cases and de-duplicates.
    tags: p.tags.join(', '),
    created_at: shopifyTimestamp(p.createdMs),
    updated_at: shopifyTimestamp(p.updatedMs),
    published_at: p.publishedMs === null ? null : shopifyTimestamp(p.publishedMs),
    variants: p.variants.map((v) => ({
      id: v.id,
      product_id: p.id,
      title: v.title,
      sku: v.sku,
      price: money(v.priceCents),
      compare_at_price: v.compareAtCents === null ? null : money(v.compareAtCents),
      inventory_quantity: v.inventoryQuantity,
      created_at: shopifyTimestamp(v.createdMs),
      updated_at: shopifyTimestamp(v.updatedMs),
    })),
    images: p.images.map((image, k) => ({
      id: image.productImageId,
      product_id: p.id,
      src: image.url,
      alt: image.alt,
      position: k + 1,
    })),
  };
}

export function legacyOrder(order: OrderModel, currency: string): LegacyOrder {
  return {
    id: order.id,
    name: order.name,
    processed_at: shopifyTimestamp(order.processedMs),
    created_at: shopifyTimestamp(order.createdMs),
    updated_at: shopifyTimestamp(order.updatedMs),
    cancelled_at: order.cancelledMs === null ? null : shopifyTimestamp(order.cancelledMs),
    currency,
    financial_status: order.financialStatus.toLowerCase(),
    fulfillment_status: order.fulfillmentStatus.toLowerCase(),
    subtotal_price: money(order.subtotalCents),
    total_discounts: money(order.discountCents),
    total_tax: money(order.taxCents),
    total_price: money(order.totalCents),
    test: order.test,
    line_items: order.lines.map((line) => ({
      id: line.id,
      product_id: line.productId,
      variant_id: line.variantId,
      title: line.title,
      sku: line.sku,
      quantity: line.quantity,
      price: money(line.unitCents),
      total_discount: money(line.discountCents),
    })),
    refunds: order.refunds.map((refund) => ({
      id: refund.id,
      created_at: shopifyTimestamp(refund.createdMs),
      refund_line_items: refund.lines.map((line) => ({
        id: line.id,
        line_item_id: line.lineItemId,
        quantity: line.quantity,
        subtotal: money(line.subtotalCents),
      })),
    })),
  };
}
