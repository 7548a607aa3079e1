/**
 * The real Shopify bulk output of ../shared/fixtures/shopify-real/ (MIT, gatsbyjs/gatsby), bundled
 * as text so Workers tests can read it (workerd has no file system).
 */
import REAL_ORDERS from '../../../../../shared/fixtures/shopify-real/orders.jsonl?raw';
import REAL_PRODUCTS from '../../../../../shared/fixtures/shopify-real/products.jsonl?raw';

export { REAL_ORDERS, REAL_PRODUCTS };
