import { ApiPropertyOptional } from '@nestjs/swagger';
import { DomainError } from '../common/problem/domain-error';
import { defineProblemCodes } from '../common/problem/module-problems';
import { ProblemDto } from '../common/problem/problem.dto';

/** The HITL routes' problem body: the common members plus the HITL ones. */
export class HitlProblemDto extends ProblemDto {
  @ApiPropertyOptional({ example: '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a', description: 'The task instance whose detail was asked for.' })
  task_instance_id?: string;

  @ApiPropertyOptional({ example: '2026-12-06T15:00:00.000Z', description: 'already_responded: when the answer that is kept was given.' })
  responded_at?: string;
}

/** The problem codes the HITL module owns, and their statuses (Airflow's where it has one). */
export const HITL_PROBLEMS = defineProblemCodes('hitl', HitlProblemDto, {
  /** No detail for the task instance: Airflow's 404 `not_found`. */
  hitl_detail_not_found: 404,
  /** The question was already answered: Airflow's 409 (a plain-string detail there). */
  already_responded: 409,
  /** The chosen options are not among the question's, or several where one is allowed. */
  invalid_chosen_options: 422,
});

/** Airflow's message for a missing detail (`_check_hitl_detail_exists`). */
export const HITL_NOT_FOUND_MESSAGE = 'HITLDetail not found. This happens most likely due to clearing task instance before receiving response.';

export function hitlDetailNotFound(tiId: string): DomainError {
  return HITL_PROBLEMS.error('hitl_detail_not_found', HITL_NOT_FOUND_MESSAGE, 'not_found', { task_instance_id: tiId });
}

/**
 * A second answer. Airflow answers `{"detail": "<sentence>"}` (a bare string, no reason word); the
 * problem form carries the reason `already_responded` and when the kept answer was given.
 */
export class AlreadyRespondedError extends DomainError {
  override readonly airflow: { detail: string };

  constructor(tiId: string, respondedAt: Date | string | null) {
    const message = `Human-in-the-loop detail for Task Instance with id ${tiId} already exists.`;
    super(HITL_PROBLEMS.code('already_responded'), message, 'already_responded', {
      task_instance_id: tiId,
      responded_at: respondedAt === null ? null : new Date(respondedAt).toISOString(),
    });
    this.airflow = { detail: message };
  }
}
