import { ChargeDef, ChargeModel, Tier } from '../catalog/catalog.types';
import { Dec } from '../common/money/decimal';
import { toMinorUnits } from '../common/money/money';

/**
 * Prices one catalog charge for one period's aggregated usage (CONTRACT.md, Catalog). All
 * arithmetic is exact decimal; the only rounding is the final toMinorUnits, so an invoice line
 * is rounded once. Every step is recorded unrounded in `computation` as decimal strings, so a
 * stored line can be explained and re-checked (recomputeCharge) without the catalog.
 */

/** One tier that priced some units: tier `index` (0-based) covers (from, upTo]. */
export interface TierStep {
  index: number;
  from: string;
  upTo: string | null;
  units: string;
  unitPrice: string;
  flatFee: string;
  amount: string;
}

interface ComputationBase {
  model: ChargeModel;
  quantity: string;
  includedQuantity: string;
  billableQuantity: string;
  amount: string;
  /** The catalog price for per_unit; null for tiered and package charges (see `tiers`, `packages`). */
  unitPrice: string | null;
}

export interface PerUnitComputation extends ComputationBase {
  model: 'per_unit';
  units: string;
  unitPrice: string;
}

/** graduated: every tier crossed; volume: the one tier the total falls in (none at zero). */
export interface TieredComputation extends ComputationBase {
  model: 'graduated' | 'volume';
  tiers: TierStep[];
}

export interface PackageComputation extends ComputationBase {
  model: 'package';
  packages: string;
  packageSize: string;
  packagePrice: string;
}

export type ChargeComputation = PerUnitComputation | TieredComputation | PackageComputation;

export interface PricedCharge {
  amountCents: number;
  amount: string;
  quantity: string;
  includedQuantity: string;
  billableQuantity: string;
  computation: ChargeComputation;
}

type Steps =
  | Pick<PerUnitComputation, 'model' | 'units' | 'unitPrice'>
  | Pick<TieredComputation, 'model' | 'tiers'>
  | Pick<PackageComputation, 'model' | 'packages' | 'packageSize' | 'packagePrice'>;

const ZERO = new Dec(0);
const str = (d: Dec): string => d.toFixed();

function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`Charge definition lacks ${what}`);
  return value;
}

function upToOf(tier: Tier): Dec | null {
  return tier.upTo === null ? null : new Dec(tier.upTo);
}

function graduatedSteps(tiers: Tier[], billable: Dec): TierStep[] {
  const steps: TierStep[] = [];
  let from = ZERO;
  for (const [index, tier] of tiers.entries()) {
    if (billable.lte(from)) break;
    const upTo = upToOf(tier);
    // Quantities may be fractional, so a tier holds the continuous overlap, not a unit count.
    const units = (upTo === null ? billable : Dec.min(upTo, billable)).minus(from);
    const unitPrice = new Dec(tier.unitPrice);
    const flatFee = new Dec(tier.flatFee ?? '0');
    const amount = units.times(unitPrice).plus(flatFee);
    steps.push({ index, from: str(from), upTo: upTo && str(upTo), units: str(units), unitPrice: str(unitPrice), flatFee: str(flatFee), amount: str(amount) });
    if (upTo === null) return steps;
    from = upTo;
  }
  if (billable.gt(from)) throw new RangeError(`Quantity ${str(billable)} is beyond the last tier`);
  return steps;
}

function volumeSteps(tiers: Tier[], billable: Dec): TierStep[] {
  if (billable.isZero()) return [];
  let from = ZERO;
  for (const [index, tier] of tiers.entries()) {
    const upTo = upToOf(tier);
    if (upTo === null || billable.lte(upTo)) {
      const unitPrice = new Dec(tier.unitPrice);
      const flatFee = new Dec(tier.flatFee ?? '0');
      const amount = billable.times(unitPrice).plus(flatFee);
      return [{ index, from: str(from), upTo: upTo && str(upTo), units: str(billable), unitPrice: str(unitPrice), flatFee: str(flatFee), amount: str(amount) }];
    }
    from = upTo;
  }
  throw new RangeError(`Quantity ${str(billable)} is beyond the last tier`);
}

function modelSteps(charge: ChargeDef, billable: Dec): Steps {
  switch (charge.model) {
    case 'per_unit':
      return { model: 'per_unit', units: str(billable), unitPrice: str(new Dec(required(charge.unitPrice, 'unitPrice'))) };
    case 'graduated':
      return { model: 'graduated', tiers: graduatedSteps(required(charge.tiers, 'tiers'), billable) };
    case 'volume':
      return { model: 'volume', tiers: volumeSteps(required(charge.tiers, 'tiers'), billable) };
    case 'package': {
      const size = new Dec(required(charge.packageSize, 'packageSize'));
      if (!size.gt(0)) throw new RangeError('packageSize must be > 0');
      // Partial packages are sold whole: 1 unit buys a package, 0 units none.
      const packages = billable.div(size).ceil();
      const price = new Dec(required(charge.packagePrice, 'packagePrice'));
      return { model: 'package', packages: str(packages), packageSize: str(size), packagePrice: str(price) };
    }
    default:
      throw new Error(`Unknown charge model: ${String((charge as { model: unknown }).model)}`);
  }
}

/**
 * The exact amount (major units) re-derived from a stored computation alone: units come from
 * the billable quantity and the recorded tier bounds, not from the recorded counts, so a record
 * whose steps do not agree with each other recomputes to a different amount.
 */
export function recomputeCharge(c: ChargeComputation): string {
  const billable = new Dec(c.billableQuantity);
  switch (c.model) {
    case 'per_unit':
      return str(billable.times(c.unitPrice));
    case 'package':
      return str(billable.div(c.packageSize).ceil().times(c.packagePrice));
    case 'graduated':
    case 'volume':
      return str(
        c.tiers.reduce((sum, t) => {
          const units = c.model === 'volume' ? billable : Dec.min(t.upTo ?? billable, billable).minus(t.from);
          return sum.plus(units.times(t.unitPrice)).plus(t.flatFee);
        }, ZERO),
      );
  }
}

function stepsAmount(steps: Steps): Dec {
  switch (steps.model) {
    case 'per_unit':
      return new Dec(steps.units).times(steps.unitPrice);
    case 'graduated':
    case 'volume':
      return steps.tiers.reduce((sum, t) => sum.plus(new Dec(t.units).times(t.unitPrice)).plus(t.flatFee), ZERO);
    case 'package':
      return new Dec(steps.packages).times(steps.packagePrice);
  }
}

/**
 * The effective price per billable unit, for display only (recomputation never reads it).
 * It need not terminate (2.00 / 3 units), so it is cut to 20 significant digits.
 */
/**
 * The line's one unit price: the catalog's for per_unit. A tiered or package line has none (an
 * average such as 0.11339434905807588836 says nothing a reader can check): its tiers or packages
 * are in the computation, and the PDF prints them as sub-rows, as Stripe's invoices do.
 */
function displayUnitPrice(steps: Steps): string | null {
  return steps.model === 'per_unit' ? steps.unitPrice : null;
}

export function priceCharge(charge: ChargeDef, quantity: Dec | string, currency: string): PricedCharge {
  const used = new Dec(quantity);
  const included = Dec.max(new Dec(charge.includedQuantity ?? 0), ZERO);
  const billable = Dec.max(used.minus(included), ZERO);
  const steps = modelSteps(charge, billable);
  const amount = stepsAmount(steps);
  const common = { quantity: str(used), includedQuantity: str(included), billableQuantity: str(billable), amount: str(amount) };
  const computation = { ...steps, ...common, unitPrice: displayUnitPrice(steps) } as ChargeComputation;
  return { ...common, amountCents: toMinorUnits(amount, currency), computation };
}
