import { ProblemError, notFound } from '../common/errors/problem';

/** The problems of real-time cost and its alerts, each with its contract code. */
export const AlertProblems = {
  notFound: (): ProblemError => notFound('Cost alert'),
  unknownMetric: (metric: string): ProblemError => new ProblemError('UNKNOWN_METRIC', `Unknown metric ${metric}`, { field: 'metric' }),
  unknownCostCenter: (id: string): ProblemError =>
    new ProblemError('UNKNOWN_COST_CENTER', `costCenterId ${id} is not a cost center of this tenant that is not archived`, { field: 'costCenterId' }),
  noBudget: (id: string): ProblemError =>
    new ProblemError('UNPROCESSABLE', `Cost center ${id} has no budgetCents: a budget_percent alert needs one`, { field: 'costCenterId' }),
  webhookRefused: (message: string): ProblemError => new ProblemError('UNPROCESSABLE', `webhookUrl ${message}`, { field: 'webhookUrl' }),
};
