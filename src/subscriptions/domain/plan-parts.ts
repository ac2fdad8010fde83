/**
 * Which plan bills which part of a period (CONTRACT.md, Settled details: an immediate plan change
 * splits the current period at the change). Pure: the plan history is a list of changes, each
 * the instant a plan took over; the parts of a window are read from it.
 */

/** One recorded plan change: from `at` on, `toPlanId` is in effect. */
export interface PlanChange {
  at: Date;
  fromPlanId: string;
  toPlanId: string;
  /** false: the base fee stays on the plan billed before (change-plan with prorate: false). */
  prorate: boolean;
}

/** A stretch of a window billed on one plan. */
export interface PlanPart {
  from: Date;
  /** Exclusive. */
  to: Date;
  planId: string;
}

export interface WindowParts {
  /** The plans whose base fee each stretch bears (split only at prorating changes). */
  base: PlanPart[];
  /** The plans whose charges price each stretch's usage (split at every change). */
  usage: PlanPart[];
}

/**
 * The plan in effect at `at`: the plan the first change after `at` changed from, else the
 * current plan. `changes` must hold every change after `at`, oldest first.
 */
export function planAt(at: Date, changes: readonly PlanChange[], currentPlanId: string): string {
  const next = changes.find((c) => c.at.getTime() > at.getTime());
  return next ? next.fromPlanId : currentPlanId;
}

/**
 * The parts of [start, end): consecutive, covering the window exactly, one per plan in effect.
 * A change at or before `start` or at or after `end` splits nothing. `startPlanId` is the plan
 * in effect at `start`.
 */
export function windowParts(start: Date, end: Date, startPlanId: string, changes: readonly PlanChange[]): WindowParts {
  if (end.getTime() < start.getTime()) throw new RangeError('window end before its start');
  const inside = changes.filter((c) => c.at.getTime() > start.getTime() && c.at.getTime() < end.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
  const split = (cuts: Array<{ at: Date; planId: string }>): PlanPart[] => {
    const parts: PlanPart[] = [{ from: start, to: end, planId: startPlanId }];
    for (const cut of cuts) {
      let last = parts[parts.length - 1];
      if (last.from.getTime() === cut.at.getTime() && parts.length > 1) {
        // Two changes at one instant: the later one holds from there on.
        parts.pop();
        last = parts[parts.length - 1];
        last.to = end;
      }
      if (cut.planId === last.planId) continue;
      last.to = cut.at;
      parts.push({ from: cut.at, to: end, planId: cut.planId });
    }
    return parts;
  };
  return {
    usage: split(inside.map((c) => ({ at: c.at, planId: c.toPlanId }))),
    base: split(inside.filter((c) => c.prorate).map((c) => ({ at: c.at, planId: c.toPlanId }))),
  };
}

/**
 * The parts of a subscription's window [start, end) from its plan history: `changes` are those
 * after `start`, oldest first; `currentPlanId` is the plan now, `periodPlanId` the plan the
 * current period began on (what the window starts on when no change was ever recorded).
 */
export function subscriptionWindowParts(start: Date, end: Date, changes: readonly PlanChange[], plans: { currentPlanId: string; periodPlanId: string }): WindowParts {
  const startPlanId = changes.length > 0 ? planAt(start, changes, plans.currentPlanId) : plans.periodPlanId;
  return windowParts(start, end, startPlanId, changes);
}
