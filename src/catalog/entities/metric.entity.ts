import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Aggregation } from '../catalog.types';

@Entity('metrics')
export class MetricEntity {
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  unit: string;

  @Column({ type: 'text' })
  aggregation: Aggregation;

  @Column({ type: 'text', nullable: true })
  property: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
