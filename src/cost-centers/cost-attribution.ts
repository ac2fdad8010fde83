/**
 * Which cost center a usage event belongs to, when the event names none. Pure: no Nest, no ORM,
 * so the usage hot path and its tests call it directly.
 */

/** One attribution rule: every field it gives must match the event; a field it omits matches anything. */
export interface CostCenterRule {
  resourceType?: string;
  resourceIdPrefix?: string;
  property?: { key: string; value: string };
}

export interface AttributableCostCenter {
  id: string;
  rules: CostCenterRule[];
}

export interface AttributableEvent {
  resourceType: string | null;
  resourceId: string | null;
  properties: Record<string, unknown> | null;
}

/** Whether every field the rule gives matches the event. A rule that gives no field matches nothing. */
export function ruleMatches(rule: CostCenterRule, event: AttributableEvent): boolean {
  let given = 0;
  if (rule.resourceType !== undefined && rule.resourceType !== null) {
    given++;
    if (event.resourceType !== rule.resourceType) return false;
  }
  if (rule.resourceIdPrefix !== undefined && rule.resourceIdPrefix !== null) {
    given++;
    if (event.resourceId === null || !event.resourceId.startsWith(rule.resourceIdPrefix)) return false;
  }
  if (rule.property !== undefined && rule.property !== null) {
    given++;
    const props = event.properties;
    if (props === null || !Object.prototype.hasOwnProperty.call(props, rule.property.key)) return false;
    const actual = props[rule.property.key];
    if (actual === null || actual === undefined || String(actual) !== rule.property.value) return false;
  }
  return given > 0;
}

/**
 * The first cost center, in the order given (callers pass oldest first), with any rule that
 * matches the event; null when none does.
 */
export function attributeCostCenter(costCenters: ReadonlyArray<AttributableCostCenter>, event: AttributableEvent): string | null {
  for (const cc of costCenters) {
    if (cc.rules.some((rule) => ruleMatches(rule, event))) return cc.id;
  }
  return null;
}
