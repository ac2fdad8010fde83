import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { IsIn, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { Access, Allow } from '../../src/common/auth/access.decorator';
import { Transactions } from '../../src/common/database/transactions';
import { ProblemError } from '../../src/common/errors/problem';
import { Idempotent } from '../../src/common/idempotency/idempotency.interceptor';

class EffectBody {
  @IsInt()
  @Min(1)
  amountCents: number;

  @IsOptional()
  @IsIn(['conflict', 'crash'])
  fail?: 'conflict' | 'crash';

  @IsOptional()
  @IsString()
  note?: string;
}

class TenantBody {
  @IsString()
  tenantId: string;
}

export const PROBE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS probe_effects (id serial PRIMARY KEY, tenant_id text NOT NULL, amount_cents int NOT NULL)`;

/** Test-only routes that exercise the foundation's guards and idempotency with a real write. */
@Controller('probe')
export class ProbeController {
  constructor(private readonly tx: Transactions) {}

  @Get('tenants/:tenantId')
  @Allow(Access.read)
  read(@Param('tenantId') tenantId: string) {
    return { tenantId };
  }

  @Post('tenants/:tenantId/effects')
  @Allow(Access.tenantWrite)
  @Idempotent()
  async effect(@Param('tenantId') tenantId: string, @Body() body: EffectBody) {
    return this.tx.run(async (em) => {
      const [row] = await em.query('INSERT INTO probe_effects (tenant_id, amount_cents) VALUES ($1, $2) RETURNING id', [tenantId, body.amountCents]);
      await new Promise((r) => setTimeout(r, 150));
      if (body.fail === 'conflict') throw new ProblemError('INVALID_STATE', 'probe refused after writing');
      if (body.fail === 'crash') throw new Error('probe crashed');
      return { id: row.id, amountCents: body.amountCents };
    });
  }

  @Post('bodies')
  @Allow(Access.tenantWrite)
  bodies(@Body() body: TenantBody) {
    return body;
  }

  @Get('no-access')
  noAccess() {
    return { leaked: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
