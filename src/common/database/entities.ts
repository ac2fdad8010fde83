import { MetricEntity } from '../../catalog/entities/metric.entity';
import { PlanEntity } from '../../catalog/entities/plan.entity';

/** Every entity of the service, registered once for the app and the CLI. */
export const ENTITIES = [MetricEntity, PlanEntity];
