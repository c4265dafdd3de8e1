import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsAwareDateTime } from './aware-date-time';
import { MAX_LIST, PRINTABLE, toList } from './query-values';

// The decorators are listed bottom-up: `applyDecorators` applies them in order, while a stack
// written on a property applies from the bottom, and class-validator reports failed rules in the
// order they were registered, so this keeps the wire of the stacks it replaces.

/**
 * `logical_dates`, a repeated query parameter of time-zone-aware date-times (Airflow's
 * `UtcDateTime`), at most `MAX_LIST` of them: the filter the dag-run and task-instance reads share.
 */
export function LogicalDatesQuery(description: string): PropertyDecorator {
  return applyDecorators(
    IsAwareDateTime({ each: true }),
    ArrayMaxSize(MAX_LIST),
    IsArray(),
    Transform(toList),
    IsOptional(),
    ApiPropertyOptional({ type: [String], format: 'date-time', description }),
  );
}

/** `run_ids`, a repeated query parameter of printable run ids (1–250 characters), at most `MAX_LIST`. */
export function RunIdsQuery(): PropertyDecorator {
  return applyDecorators(
    Matches(PRINTABLE, { each: true, message: 'run_ids must not contain control characters' }),
    Length(1, 250, { each: true }),
    IsString({ each: true }),
    ArrayMaxSize(MAX_LIST),
    IsArray(),
    Transform(toList),
    IsOptional(),
    ApiPropertyOptional({ type: [String], description: 'Repeat the parameter for each run id.' }),
  );
}
