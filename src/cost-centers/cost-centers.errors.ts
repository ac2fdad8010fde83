import { ProblemError, notFound } from '../common/errors/problem';

/** The problems of the cost-centers domain, each with its contract code. */
export const CostCenterProblems = {
  notFound: (): ProblemError => notFound('Cost center'),
  duplicateCode: (code: string): ProblemError =>
    new ProblemError('DUPLICATE_CODE', `The tenant already has a cost center with code ${code} that is not archived`, { field: 'code' }),
  unknownParent: (parentId: string): ProblemError =>
    new ProblemError('UNKNOWN_COST_CENTER', `parentId ${parentId} is not a cost center of this tenant that is not archived`, { field: 'parentId' }),
  archived: (): ProblemError => new ProblemError('INVALID_STATE', 'The cost center is archived and can no longer change'),
  cycle: (): ProblemError =>
    new ProblemError('INVALID_STATE', 'parentId would make the cost center its own ancestor', { field: 'parentId' }),
};
