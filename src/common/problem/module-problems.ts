import type { Type } from '@nestjs/common';
import { DomainError, type CoreErrorCode, type DomainErrorCode, type ModuleProblemCode, type ProblemExtensions } from './domain-error';
import type { ProblemDto } from './problem.dto';

/** Statuses a module's own problem codes may map to (5xx stays with the core: outages, bugs). */
export type ModuleProblemStatus = 400 | 403 | 404 | 409 | 410 | 413 | 422;

/**
 * The core codes, as values: a module may not redefine one. `Record<CoreErrorCode, true>` makes
 * this list complete by construction.
 */
const CORE_CODES: Record<CoreErrorCode, true> = {
  not_found: true,
  unique_conflict: true,
  retries_exhausted: true,
  retry_budget_exhausted: true,
  database_unavailable: true,
  pool_exhausted: true,
  database_timeout: true,
  foreign_key_violation: true,
  not_null_violation: true,
  check_violation: true,
  value_rejected: true,
  not_ready: true,
  unauthenticated: true,
  forbidden: true,
  idempotency_key_missing: true,
  idempotency_key_invalid: true,
  idempotency_key_reused: true,
  idempotency_key_in_use: true,
};

const registry = new Map<string, { owner: string; status: ModuleProblemStatus }>();

/** The problem codes one module owns, with their statuses and the DTO documenting their extension members. */
export interface ModuleProblems<C extends string> {
  readonly owner: string;
  /** The module's problem DTO (extends `ProblemDto` with the module's extension members), for OpenAPI. */
  readonly dto: Type<ProblemDto>;
  /** The typed code to throw a `DomainError` with. */
  code(code: C): ModuleProblemCode<C>;
  /** A `DomainError` with one of this module's codes. */
  error(code: C, detail: string, reason?: string, extensions?: ProblemExtensions): DomainError;
}

/**
 * Declares the problem codes a feature module owns and the HTTP status of each, in the module
 * (`src/<module>/<module>.problems.ts`), instead of in the core's code union and the filter's
 * switch. Codes are registered when the file is loaded; redefining a core code or another
 * module's code throws then, so a clash fails at start-up, not at the first error.
 *
 * @example
 * export const XCOM_PROBLEMS = defineProblemCodes('xcom', XComProblemDto, { unmappable_return_value_length: 400 });
 * throw XCOM_PROBLEMS.error('unmappable_return_value_length', 'pushed value is too large to map …');
 */
export function defineProblemCodes<const C extends string>(owner: string, dto: Type<ProblemDto>, statuses: Record<C, ModuleProblemStatus>): ModuleProblems<C> {
  for (const [code, status] of Object.entries(statuses) as [string, ModuleProblemStatus][]) {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(code)) throw new Error(`${owner}: problem code "${code}" must be snake_case`);
    if (code in CORE_CODES) throw new Error(`${owner}: problem code "${code}" is a core code`);
    const existing = registry.get(code);
    if (existing && existing.owner !== owner) throw new Error(`${owner}: problem code "${code}" is already defined by ${existing.owner}`);
    registry.set(code, { owner, status });
  }
  return Object.freeze({
    owner,
    dto,
    code: (code: C) => code as ModuleProblemCode<C>,
    error: (code: C, detail: string, reason: string = code, extensions: ProblemExtensions = {}) =>
      new DomainError(code as ModuleProblemCode<C>, detail, reason, extensions),
  });
}

/** Whether `code` is a module's (narrows the rest to the core union for the filter's exhaustive switch). */
export function isModuleProblemCode(code: DomainErrorCode): code is ModuleProblemCode {
  return !(code in CORE_CODES);
}

/** The status a module gave its code. Only `defineProblemCodes` makes module codes, so it is always there. */
export function moduleProblemStatus(code: ModuleProblemCode): number {
  const entry = registry.get(code);
  if (entry === undefined) throw new Error(`no HTTP status for problem code ${String(code)}`);
  return entry.status;
}
