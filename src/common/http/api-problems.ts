import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CODES } from '../errors/problem';
import { ProblemDto } from './problem.dto';

function codesFor(status: number): string[] {
  return Object.entries(PROBLEM_CODES)
    .filter(([, [s]]) => s === status)
    .map(([code]) => code);
}

/**
 * Documents a route's error answers as problem+json. Each entry is a status, or a status with
 * the codes this route can give for it (defaults to every contract code of that status).
 */
export function ApiProblems(...answers: Array<number | [number, string[]] | [number, string[], string]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...answers.map((a) => {
      const [status, codes, note] = Array.isArray(a) ? a : [a, codesFor(a), undefined];
      return ApiResponse({
        status,
        description: `${note ? `${note}. ` : ''}problem+json with code ${codes.join(' | ')}`,
        type: ProblemDto,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
      });
    }),
  );
}
