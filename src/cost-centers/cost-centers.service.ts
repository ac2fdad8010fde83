import { Injectable } from '@nestjs/common';
import { Principal, reachesAllTenants } from '../common/auth/principal';
import { Transactions } from '../common/database/transactions';
import { FieldError, ValidationFailed } from '../common/errors/problem';
import { isUuid } from '../common/http/id-param';
import { Page, decodeCursor, toPage } from '../common/pagination/pagination';
import type { CostCenterRule } from './cost-attribution';
import { CostCenterProblems } from './cost-centers.errors';
import { ALL_TENANTS, CostCenterFields, CostCenterRow, CostCentersRepository, TenantScope } from './cost-centers.repository';
import type { CostCenterRuleDto } from './dto/cost-center-rule.dto';
import type { CreateCostCenterDto, UpdateCostCenterDto } from './dto/cost-center-input.dto';
import type { CostCenterDto } from './dto/cost-center.dto';

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const given = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

/** Rules as stored: only the fields given; a rule that gives none is refused with its path. */
function normalizeRules(rules: CostCenterRuleDto[] | null | undefined): CostCenterRule[] {
  const errors: FieldError[] = [];
  const out = (rules ?? []).map((r, i) => {
    const rule: CostCenterRule = {};
    if (given(r.resourceType)) rule.resourceType = r.resourceType;
    if (given(r.resourceIdPrefix)) rule.resourceIdPrefix = r.resourceIdPrefix;
    if (given(r.property)) rule.property = { key: r.property.key, value: r.property.value };
    if (Object.keys(rule).length === 0) {
      errors.push({ path: `rules[${i}]`, message: 'must give at least one of resourceType, resourceIdPrefix, property' });
    }
    return rule;
  });
  if (errors.length > 0) throw new ValidationFailed(errors);
  return out;
}

/** The by-id scope of a caller: its own tenant, or every tenant for platform-admin and service. */
function scopeOf(p: Principal): TenantScope {
  if (reachesAllTenants(p)) return ALL_TENANTS;
  if (p.tenantId === null) throw CostCenterProblems.notFound();
  return p.tenantId;
}

function toDto(row: CostCenterRow): CostCenterDto {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    code: row.code,
    name: row.name,
    description: row.description,
    budgetCents: row.budget_cents === null ? null : Number(row.budget_cents),
    parentId: row.parent_id,
    rules: row.rules,
    archived: row.archived_at !== null,
    archivedAt: row.archived_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Cost centers of a tenant: codes unique among live ones, an acyclic hierarchy, attribution
 * rules. Delete archives. Also what usage and quotas ask about cost centers.
 */
@Injectable()
export class CostCentersService {
  constructor(
    private readonly repository: CostCentersRepository,
    private readonly transactions: Transactions,
  ) {}

  async create(input: CreateCostCenterDto): Promise<CostCenterDto> {
    const rules = normalizeRules(input.rules);
    const parentId = input.parentId?.toLowerCase() ?? null;
    return this.transactions.run(async () => {
      if (parentId !== null && !(await this.repository.isLive(input.tenantId, parentId, { lock: true }))) {
        throw CostCenterProblems.unknownParent(parentId);
      }
      const row = await this.repository.insert(input.tenantId, {
        code: input.code,
        name: input.name,
        description: input.description ?? null,
        budgetCents: input.budgetCents ?? null,
        parentId,
        rules,
      });
      return toDto(row);
    });
  }

  async list(tenantId: string, opts: { limit: number; cursor?: string; includeArchived: boolean }): Promise<Page<CostCenterDto>> {
    const key = decodeCursor(opts.cursor, 2);
    if (key && !(typeof key[0] === 'string' && CURSOR_TIME.test(key[0]) && typeof key[1] === 'string' && isUuid(key[1]))) {
      throw new ValidationFailed([{ path: 'cursor', message: 'is not a cursor this service issued' }]);
    }
    const rows = await this.repository.list(tenantId, {
      after: key ? [key[0] as string, key[1] as string] : null,
      limit: opts.limit + 1,
      includeArchived: opts.includeArchived,
    });
    return toPage(rows, opts.limit, (r) => [r.created_key, r.id], toDto);
  }

  async get(principal: Principal, id: string): Promise<CostCenterDto> {
    const row = await this.repository.find(scopeOf(principal), id);
    if (!row) throw CostCenterProblems.notFound();
    return toDto(row);
  }

  async update(principal: Principal, id: string, input: UpdateCostCenterDto): Promise<CostCenterDto> {
    const patch: Partial<CostCenterFields> = {
      code: input.code,
      name: input.name,
      description: input.description,
      budgetCents: input.budgetCents,
      parentId: input.parentId === undefined ? undefined : (input.parentId?.toLowerCase() ?? null),
      rules: input.rules === undefined ? undefined : normalizeRules(input.rules),
    };
    const scope = scopeOf(principal);
    return this.transactions.run(async () => {
      if (patch.parentId) {
        // Moves of one tenant take turns, and take their turn before any row lock (no deadlock).
        const seen = await this.repository.find(scope, id);
        if (!seen) throw CostCenterProblems.notFound();
        await this.repository.lockHierarchy(seen.tenant_id);
      }
      const row = await this.repository.find(scope, id, { forUpdate: true });
      if (!row) throw CostCenterProblems.notFound();
      if (row.archived_at !== null) throw CostCenterProblems.archived();
      if (patch.parentId) {
        if (!(await this.repository.isLive(row.tenant_id, patch.parentId, { lock: true }))) {
          throw CostCenterProblems.unknownParent(patch.parentId);
        }
        if (await this.repository.isSelfOrAncestor(row.tenant_id, id, patch.parentId)) throw CostCenterProblems.cycle();
      }
      if (Object.values(patch).every((v) => v === undefined)) return toDto(row);
      return toDto(await this.repository.update(row.tenant_id, id, patch));
    });
  }

  /** Archives; archiving an archived cost center changes nothing. */
  async archive(principal: Principal, id: string): Promise<void> {
    const scope = scopeOf(principal);
    await this.transactions.run(async () => {
      const row = await this.repository.find(scope, id, { forUpdate: true });
      if (!row) throw CostCenterProblems.notFound();
      if (row.archived_at === null) await this.repository.archive(row.tenant_id, id);
    });
  }

  /** Whether `id` names a cost center of `tenantId` that is not archived (false for a malformed id). */
  async belongsToTenant(id: string, tenantId: string): Promise<boolean> {
    if (typeof id !== 'string' || !isUuid(id)) return false;
    return this.repository.isLive(tenantId, id.toLowerCase());
  }
}
