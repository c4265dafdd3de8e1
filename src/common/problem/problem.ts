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

export interface ProblemInput {
  status: number;
  reason: string;
  detail: string;
  extensions?: ProblemExtensions;
  /** Validation issues, one per failing path. */
  errors?: { path: string; message: string }[];
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

/** Builds the problem body. Extensions never override the standard members. */
export function buildProblem(input: ProblemInput, instance: string, correlationId: string): ProblemBody {
  const body: ProblemBody = {
    type: `urn:task-execution-api:problem:${input.reason}`,
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
  if (input.errors) body.errors = input.errors;
  return body;
}
