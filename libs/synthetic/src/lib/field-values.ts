import type { FieldSpec, FieldType } from '@platform/contracts';
import type { Prng } from './prng';
import type { EventValue } from './types';

/**
 * Field values from a field's declaration (`values`, `min`, `max`, type) plus light hints
 * taken from its name, so that ecommerce-like fields look plausible (urls and titles that
 * agree, product and order ids, money with two decimals) while any other domain still gets
 * valid, typed values. Everything here draws from the PRNG passed in: no clock, no Math.random.
 */

/** What one session remembers, so that its events tell a consistent story. */
export interface SessionState {
  readonly sessionId: string;
  /** Context fields (device, country, currency, …) keep one value for the whole session. */
  readonly sticky: Map<string, EventValue>;
  /** The product of the last product page viewed: what gets put in the cart. */
  lastProduct: string | undefined;
  /** True for the first event of a session: a landing page rather than a browsing one. */
  landing: boolean;
}

export interface FieldContext {
  readonly rng: Prng;
  readonly timestamp: number;
  readonly session: SessionState;
  /** The page this event shows, chosen on first use so that url and title agree. */
  page: Page | undefined;
}

export interface Page {
  readonly path: string;
  /** `SITE` + `path`. */
  readonly url: string;
  readonly title: string;
}

export type FieldGenerator = (ctx: FieldContext) => EventValue;

export const SITE = 'https://shop.example.com';
export const PRODUCT_POOL_SIZE = 500;
const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

const CATEGORIES = ['shoes', 'electronics', 'books', 'home', 'toys', 'garden', 'sports', 'beauty'];
const SEARCH_TERMS = ['sneakers', 'headphones', 'lamp', 'novel', 'lego', 'yoga mat', 'kettle'];
const REFERRERS = [
  'https://www.google.com/',
  'https://www.bing.com/',
  'https://duckduckgo.com/',
  'https://t.co/',
  'https://www.facebook.com/',
  'https://www.instagram.com/',
  'https://newsletter.example.com/',
];
const COUPONS = ['WELCOME10', 'SAVE15', 'FREESHIP', 'SPRING24', 'VIP20', 'BUNDLE5'];
const NAMED_ENUMS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/device/, ['desktop', 'mobile', 'tablet']],
  [/country/, ['US', 'GB', 'DE', 'FR', 'JP', 'BR']],
  [/currency/, ['USD', 'EUR', 'GBP']],
  [/browser/, ['chrome', 'safari', 'firefox', 'edge']],
  [/(^|_)os$/, ['android', 'ios', 'windows', 'macos', 'linux']],
];
/** Names of context fields that stay the same for a whole session. */
const STICKY = /device|country|region|locale|language|currency|platform|browser|(^|_)os$|channel/;
const MONEY = /(price|revenue|amount|total|cost|subtotal|tax|shipping|discount|value)$/;

/** Presence probability of an attribute, when the caller did not fix one for all. */
export function realisticPresence(name: string): number {
  const n = name.toLowerCase();
  if (/coupon|promo|voucher|discount/.test(n)) return 0.2;
  if (/referr?er/.test(n)) return 0.6;
  return 0.8;
}

export function isMoneyField(field: FieldSpec): boolean {
  return (
    (field.type === 'double' || field.type === 'float') && MONEY.test(field.name.toLowerCase())
  );
}

/** Compiles a field declaration once into a fast value generator. */
export function fieldGenerator(field: FieldSpec): FieldGenerator {
  const name = field.name.toLowerCase();
  const base = baseGenerator(field, name);
  if (!STICKY.test(name)) return base;
  const key = `${field.name}|${field.type}|${(field.values ?? []).join(',')}`;
  return (ctx) => {
    const known = ctx.session.sticky.get(key);
    if (known !== undefined) return known;
    const value = base(ctx);
    ctx.session.sticky.set(key, value);
    return value;
  };
}

function baseGenerator(field: FieldSpec, name: string): FieldGenerator {
  if (field.type === 'boolean') return (ctx) => ctx.rng.chance(0.5);
  if (field.values !== undefined && field.values.length > 0) {
    const values = field.values;
    return (ctx) => pickSkewed(ctx.rng, values);
  }
  switch (field.type) {
    case 'string':
      return stringGenerator(name);
    case 'int':
    case 'long':
      return integerGenerator(field, name);
    case 'float':
    case 'double':
      return decimalGenerator(field);
    case 'timestamp':
      return timestampGenerator(field);
  }
}

/** Earlier values are likelier (weights 1, 1/2, 1/3, …): desktop before tablet, US before BR. */
export function pickSkewed<T>(rng: Prng, values: readonly T[]): T {
  const n = values.length;
  let total = 0;
  for (let i = 1; i <= n; i++) total += 1 / i;
  let r = rng.float() * total;
  for (let i = 0; i < n; i++) {
    r -= 1 / (i + 1);
    if (r < 0) return values[i] as T;
  }
  return values[n - 1] as T;
}

function stringGenerator(name: string): FieldGenerator {
  if (/(^|_)url$/.test(name) || name === 'page') return (ctx) => pageOf(ctx).url;
  if (/title$/.test(name)) return (ctx) => pageOf(ctx).title;
  if (/referr?er/.test(name)) {
    return (ctx) => (ctx.rng.chance(0.25) ? browsingPage(ctx).url : ctx.rng.pick(REFERRERS));
  }
  if (/(product_id|sku)$/.test(name)) {
    return (ctx) =>
      ctx.session.lastProduct !== undefined && ctx.rng.chance(0.8)
        ? ctx.session.lastProduct
        : productId(ctx.rng);
  }
  if (/order_id$/.test(name)) return (ctx) => `ord_${ctx.rng.hex(8)}${ctx.rng.hex(4)}`;
  if (/session_id$/.test(name)) return (ctx) => ctx.session.sessionId;
  if (/coupon|promo|voucher/.test(name)) return (ctx) => ctx.rng.pick(COUPONS);
  if (/email/.test(name)) return (ctx) => `customer${ctx.rng.int(1, 100_000)}@example.com`;
  for (const [pattern, values] of NAMED_ENUMS) {
    if (pattern.test(name)) return (ctx) => pickSkewed(ctx.rng, values);
  }
  if (/(^|_)id$/.test(name)) {
    const prefix = name === 'id' ? 'id' : name.slice(0, -3);
    return (ctx) => `${prefix}_${ctx.rng.int(1, 100_000)}`;
  }
  return (ctx) => `${name}_${ctx.rng.int(1, 1_000)}`;
}

function integerGenerator(field: FieldSpec, name: string): FieldGenerator {
  const quantity = /(quantity|qty|items|count)$/.test(name);
  const [typeMin, typeMax] =
    field.type === 'int'
      ? [INT32_MIN, INT32_MAX]
      : [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  const defaultSpan = quantity ? 4 : field.type === 'int' ? 1_000 : 1_000_000;
  const defaultMin = quantity ? 1 : 0;
  let lo = field.min !== undefined ? Math.ceil(field.min) : undefined;
  let hi = field.max !== undefined ? Math.floor(field.max) : undefined;
  if (lo === undefined && hi === undefined) [lo, hi] = [defaultMin, defaultMin + defaultSpan];
  else if (lo === undefined)
    lo = Math.min(hi as number, Math.max(defaultMin, (hi as number) - defaultSpan));
  else if (hi === undefined) hi = lo + defaultSpan;
  const min = Math.max(typeMin, lo as number);
  const max = Math.min(typeMax, hi as number);
  // Small quantities are the common case: skew towards the low end.
  if (quantity) return (ctx) => min + Math.floor((max - min + 1) * ctx.rng.float() ** 2);
  return (ctx) => ctx.rng.int(min, max);
}

function decimalGenerator(field: FieldSpec): FieldGenerator {
  const money = isMoneyField(field);
  // Money in whole cents (two decimals), other decimals to four places.
  const scale = money || field.type === 'float' ? 100 : 10_000;
  const lo = Math.ceil((field.min ?? 0) * scale);
  const hi = Math.floor((field.max ?? (field.min ?? 0) + 1_000) * scale);
  if (hi < lo) {
    // No value on the grid lies in range (e.g. min 1.001, max 1.002): use the bound itself.
    const only = field.min ?? field.max ?? 0;
    return () => only;
  }
  // Cheap items are more common than expensive ones.
  if (money) return (ctx) => (lo + Math.floor((hi - lo + 1) * ctx.rng.float() ** 2)) / scale;
  return (ctx) => ctx.rng.int(lo, hi) / scale;
}

function timestampGenerator(field: FieldSpec): FieldGenerator {
  return (ctx) => {
    const t = ctx.timestamp - ctx.rng.int(0, 3_600_000);
    const lo = field.min ?? -Infinity;
    const hi = field.max ?? Infinity;
    return Math.min(Math.floor(hi), Math.max(Math.ceil(lo), t));
  };
}

function page(path: string, title: string): Page {
  return { path, url: SITE + path, title };
}

// Every id and page is made once, not per event.
const PRODUCT_IDS = Array.from(
  { length: PRODUCT_POOL_SIZE },
  (_, i) => `prod_${String(i + 1).padStart(5, '0')}`,
);
const PRODUCT_PAGES = PRODUCT_IDS.map((id) => page(`/products/${id}`, `Product ${id.slice(5)}`));
const CATEGORY_PAGES = CATEGORIES.map((c) =>
  page(`/category/${c}`, c.charAt(0).toUpperCase() + c.slice(1)),
);
const SEARCH_PAGES = SEARCH_TERMS.map((term) =>
  page(`/search?q=${encodeURIComponent(term)}`, `Search: ${term}`),
);
const HOME = page('/', 'Home');
const DEALS = page('/deals', 'Deals');
const CART = page('/cart', 'Your cart');

/** A product's index in the pool: a few products are popular, most are not. */
function productIndex(rng: Prng): number {
  return Math.floor(PRODUCT_POOL_SIZE * rng.float() ** 2);
}

export function productId(rng: Prng): string {
  return PRODUCT_IDS[productIndex(rng)] as string;
}

function pageOf(ctx: FieldContext): Page {
  if (ctx.page === undefined) ctx.page = ctx.session.landing ? landingPage(ctx) : browsingPage(ctx);
  return ctx.page;
}

function landingPage(ctx: FieldContext): Page {
  const r = ctx.rng.float();
  if (r < 0.35) return HOME;
  if (r < 0.6) return ctx.rng.pick(CATEGORY_PAGES);
  if (r < 0.9) return productPage(ctx);
  return DEALS;
}

function browsingPage(ctx: FieldContext): Page {
  const r = ctx.rng.float();
  if (r < 0.5) return productPage(ctx);
  if (r < 0.7) return ctx.rng.pick(CATEGORY_PAGES);
  if (r < 0.85) return ctx.rng.pick(SEARCH_PAGES);
  if (r < 0.95) return CART;
  return HOME;
}

function productPage(ctx: FieldContext): Page {
  const i = productIndex(ctx.rng);
  ctx.session.lastProduct = PRODUCT_IDS[i];
  return PRODUCT_PAGES[i] as Page;
}

/** Whether a value fits a field type: the checks `checkEvent` and the generator agree on. */
export function fitsType(type: FieldType, value: EventValue): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'int':
      return (
        Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX
      );
    case 'long':
    case 'timestamp':
      return Number.isSafeInteger(value);
    case 'float':
    case 'double':
      return typeof value === 'number' && Number.isFinite(value);
  }
}
