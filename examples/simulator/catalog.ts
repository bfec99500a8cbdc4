/**
 * The fake shop's products: a small creator catalogue with one product that
 * goes viral during the demo.
 */

/** One product of the fake shop. */
export interface Product {
  /** TikTok product id. */
  id: string;
  /** TikTok SKU id (one SKU per product in the demo). */
  skuId: string;
  /** The seller's SKU code, used as the inventory key on the host. */
  sellerSku: string;
  name: string;
  /** Price in the major unit (USD). */
  price: number;
  /** Units on hand when the simulator starts. */
  initialStock: number;
  /** Below this the host raises a low-stock alert. */
  threshold: number;
  /** Relative share of normal traffic. */
  weight: number;
}

/** The demo catalogue; `glow-serum` is the product that goes viral. */
export const CATALOG: readonly Product[] = Object.freeze([
  {
    id: '1729384756001',
    skuId: '1729384756101',
    sellerSku: 'GLOW-SERUM-30ML',
    name: 'Glow Serum 30 ml',
    price: 24,
    initialStock: 180,
    threshold: 40,
    weight: 3,
  },
  {
    id: '1729384756002',
    skuId: '1729384756102',
    sellerSku: 'LIP-TINT-ROSE',
    name: 'Lip Tint Rose',
    price: 12.5,
    initialStock: 240,
    threshold: 30,
    weight: 4,
  },
  {
    id: '1729384756003',
    skuId: '1729384756103',
    sellerSku: 'RING-LIGHT-10IN',
    name: 'Ring Light 10"',
    price: 39.99,
    initialStock: 60,
    threshold: 15,
    weight: 1,
  },
  {
    id: '1729384756004',
    skuId: '1729384756104',
    sellerSku: 'HOODIE-LOGO-M',
    name: 'Logo Hoodie M',
    price: 45,
    initialStock: 90,
    threshold: 20,
    weight: 2,
  },
  {
    id: '1729384756005',
    skuId: '1729384756105',
    sellerSku: 'PHONE-GRIP-HOLO',
    name: 'Holo Phone Grip',
    price: 8,
    initialStock: 300,
    threshold: 50,
    weight: 3,
  },
]);

/** The product that goes viral. */
export const VIRAL_PRODUCT_ID = '1729384756001';
