import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ChargeDef, Interval } from '../catalog.types';

@Entity('plans')
export class PlanEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'text' })
  interval: Interval;

  /** Major units, exact (numeric), as written in the catalog. */
  @Column({ name: 'base_price', type: 'numeric' })
  basePrice: string;

  @Column({ name: 'trial_days', type: 'int' })
  trialDays: number;

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ type: 'jsonb' })
  charges: ChargeDef[];

  @Column({ type: 'jsonb' })
  limits: Record<string, string | number>;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
