import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../common/database/pg-errors';
import { Transactions } from '../common/database/transactions';
import type { CostCenterRule } from './cost-attribution';
import { CostCenterProblems } from './cost-centers.errors';

/** A by-id lookup confined to one tenant, or open to every tenant for roles that reach them all. */
export const ALL_TENANTS = Symbol('all tenants');
export type TenantScope = string | typeof ALL_TENANTS;

export interface CostCenterRow {
  id: string;
  tenant_id: string;
  code: string;
  name: string;
  description: string | null;
  budget_cents: string | null;
  parent_id: string | null;
  rules: CostCenterRule[];
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
  /** created_at at full (microsecond) precision, the list's keyset. */
  created_key: string;
}

export interface CostCenterFields {
  code: string;
  name: string;
  description: string | null;
  budgetCents: number | null;
  parentId: string | null;
  rules: CostCenterRule[];
}

/** Columns a partial update may set, from the field names of CostCenterFields. */
const COLUMNS: Record<keyof CostCenterFields, string> = {
  code: 'code',
  name: 'name',
  description: 'description',
  budgetCents: 'budget_cents',
  parentId: 'parent_id',
  rules: 'rules',
};

const SELECTED = `id, tenant_id, code, name, description, budget_cents, parent_id, rules, created_at, updated_at, archived_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

const scopeParam = (scope: TenantScope): string | null => (scope === ALL_TENANTS ? null : scope);

/** The unique index on live codes turns a duplicate into a 409, whoever wins a race. */
function duplicateCodeOr(err: unknown, code: string): unknown {
  return isUniqueViolation(err, 'cost_centers_tenant_code') ? CostCenterProblems.duplicateCode(code) : err;
}

const toParam = (value: unknown): unknown => (Array.isArray(value) ? JSON.stringify(value) : value);

@Injectable()
export class CostCentersRepository {
  constructor(private readonly transactions: Transactions) {}

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.transactions.manager().query(sql, params) as Promise<T[]>;
  }

  async insert(tenantId: string, f: CostCenterFields): Promise<CostCenterRow> {
    try {
      const [row] = await this.query<CostCenterRow>(
        `INSERT INTO cost_centers (tenant_id, code, name, description, budget_cents, parent_id, rules)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${SELECTED}`,
        [tenantId, f.code, f.name, f.description, f.budgetCents, f.parentId, JSON.stringify(f.rules)],
      );
      return row;
    } catch (err) {
      throw duplicateCodeOr(err, f.code);
    }
  }

  async find(scope: TenantScope, id: string, opts: { forUpdate?: boolean } = {}): Promise<CostCenterRow | null> {
    const rows = await this.query<CostCenterRow>(
      `SELECT ${SELECTED} FROM cost_centers WHERE ($1::text IS NULL OR tenant_id = $1) AND id = $2${opts.forUpdate ? ' FOR UPDATE' : ''}`,
      [scopeParam(scope), id],
    );
    return rows[0] ?? null;
  }

  /** Oldest first; `after` is the (created_key, id) of the last row of the previous page. */
  list(tenantId: string, opts: { after: [string, string] | null; limit: number; includeArchived: boolean }): Promise<CostCenterRow[]> {
    return this.query<CostCenterRow>(
      `SELECT ${SELECTED} FROM cost_centers
       WHERE tenant_id = $1 AND ($2::boolean OR archived_at IS NULL)
         AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
       ORDER BY created_at, id LIMIT $5`,
      [tenantId, opts.includeArchived, opts.after?.[0] ?? null, opts.after?.[1] ?? null, opts.limit],
    );
  }

  /** Whether the id is a live cost center of the tenant; `lock` keeps it from being archived until commit. */
  async isLive(tenantId: string, id: string, opts: { lock?: boolean } = {}): Promise<boolean> {
    const rows = await this.query(
      `SELECT 1 FROM cost_centers WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL${opts.lock ? ' FOR SHARE' : ''}`,
      [tenantId, id],
    );
    return rows.length > 0;
  }

  /** Whether `ancestorId` is `id` or one of its ancestors (UNION stops on any cycle already stored). */
  async isSelfOrAncestor(tenantId: string, ancestorId: string, id: string): Promise<boolean> {
    const rows = await this.query(
      `WITH RECURSIVE up (id, parent_id) AS (
         SELECT id, parent_id FROM cost_centers WHERE tenant_id = $1 AND id = $3
         UNION
         SELECT c.id, c.parent_id FROM cost_centers c JOIN up ON c.id = up.parent_id WHERE c.tenant_id = $1
       )
       SELECT 1 FROM up WHERE id = $2 LIMIT 1`,
      [tenantId, ancestorId, id],
    );
    return rows.length > 0;
  }

  /** Serializes re-parenting within a tenant, so two concurrent moves cannot close a cycle together. */
  async lockHierarchy(tenantId: string): Promise<void> {
    await this.query(`SELECT pg_advisory_xact_lock(hashtext('billing:cost-center-hierarchy:' || $1))`, [tenantId]);
  }

  async update(tenantId: string, id: string, patch: Partial<CostCenterFields>): Promise<CostCenterRow> {
    const keys = (Object.keys(patch) as Array<keyof CostCenterFields>).filter((k) => patch[k] !== undefined);
    const sets = keys.map((k, i) => `${COLUMNS[k]} = $${i + 3}`);
    try {
      // TypeORM answers an UPDATE with [rows, rowCount].
      const [[row]] = (await this.transactions.manager().query(
        `UPDATE cost_centers SET ${[...sets, 'updated_at = now()'].join(', ')}
         WHERE tenant_id = $1 AND id = $2 RETURNING ${SELECTED}`,
        [tenantId, id, ...keys.map((k) => toParam(patch[k]))],
      )) as [CostCenterRow[], number];
      return row;
    } catch (err) {
      throw duplicateCodeOr(err, patch.code ?? '');
    }
  }

  async archive(tenantId: string, id: string): Promise<void> {
    await this.query('UPDATE cost_centers SET archived_at = now(), updated_at = now() WHERE tenant_id = $1 AND id = $2 AND archived_at IS NULL', [
      tenantId,
      id,
    ]);
  }
}
