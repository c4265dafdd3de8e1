import type { ProblemExtensions } from './domain-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Where a validation issue sits in the request: FastAPI's first `loc` element. */
export type IssueLocation = 'body' | 'query' | 'path';

/** One validation mistake. `location` and `type` feed the Airflow wire format only (`airflow-error.ts`). */
export interface ProblemIssue {
  /** Dotted path inside `location` ("" for the whole body). */
  path: string;
  message: string;
  /** Default `body`. */
  location?: IssueLocation;
  /** Pydantic's error type (`missing`, `extra_forbidden`, `json_invalid`, …); derived from the message when absent. */
  type?: string;
}

/**
 * How Airflow words an error where it differs from the default
 * `{"detail": {"reason": <reason>, "message": <detail>, ...extensions}}`:
 * - `{ message }`: Airflow's `detail.message` (e.g. "Task Instance not found" where `detail` names the id);
 * - `{ detail }`: Airflow answers a plain string `detail` (auth refusals, an unknown route);
 * - `'internal_error'`: the catch-all 500, `{"message": "Internal server error", "correlation-id": …}`.
 */
export type AirflowWording = { message: string } | { detail: string } | 'internal_error';

/**
 * An error before it is given a wire format: the neutral form every error path builds, and the
 * one the idempotency-key store keeps. `renderError` (`error-format.ts`) turns it into RFC 9457
 * problem details or Airflow's JSON, per request.
 */
export interface ProblemInput {
  status: number;
  reason: string;
  detail: string;
  extensions?: ProblemExtensions;
  /** Validation issues, one per failing path. */
  errors?: ProblemIssue[];
  airflow?: AirflowWording;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  reason: string;
  correlation_id: string;
  [extension: string]: unknown;
}

/** The problem's `title`: the status's reason phrase (RFC 9110), the same for every reason. */
export function problemTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/**
 * The problem's `type` URI, ending with the reason word. Airflow's own reasons may hold spaces
 * (`Missing parameter`, `Invalid regex`), which a URN may not: they are percent-encoded there, the
 * `reason` member keeps the word as Airflow spells it.
 */
export function problemType(reason: string): string {
  return `urn:task-execution-api:problem:${encodeURIComponent(reason)}`;
}

/** Builds the problem body. Extensions never override the standard members. */
export function buildProblem(input: ProblemInput, instance: string, correlationId: string): ProblemBody {
  const body: ProblemBody = {
    type: problemType(input.reason),
    title: problemTitle(input.status),
    status: input.status,
    detail: input.detail,
    instance,
    reason: input.reason,
    correlation_id: correlationId,
  };
  for (const [key, value] of Object.entries(input.extensions ?? {})) {
    if (value !== undefined && !(key in body)) body[key] = value;
  }
  if (input.errors) body.errors = input.errors.map(({ path, message }) => ({ path, message }));
  return body;
}
