import type { ProblemInput, ProblemIssue } from './problem';

/**
 * Airflow's error content type. The Task SDK (`ServerResponseError.from_response`) parses an error
 * only when the header is exactly this string: a `; charset=utf-8` parameter makes every typed
 * branch of the worker (`TaskAlreadyRunningError`, heartbeat 404/409, XCom 404 as `None`) dead.
 */
export const AIRFLOW_ERROR_CONTENT_TYPE = 'application/json';

/** One entry of FastAPI's 422 list (the SDK's `ValidationError` model: `loc`, `msg`, `type`). */
export interface AirflowValidationError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** `{"detail": …}` as FastAPI sends it, or the execution API's catch-all 500 body. */
export type AirflowErrorBody =
  { detail: string | AirflowValidationError[] | Record<string, unknown> } | { message: 'Internal server error'; 'correlation-id': string };

/** Pydantic's type for an issue that names none: what the message says happened. */
function issueType(issue: ProblemIssue): string {
  if (issue.type !== undefined) return issue.type;
  if (issue.message.endsWith(' is required')) return 'missing';
  if (issue.message.endsWith(' is not allowed')) return 'extra_forbidden';
  return 'value_error';
}

/** FastAPI's `loc`: the location, then the path's segments (`a.b`, `a[0]`, `a.0`), list indexes as numbers. */
function issueLoc(issue: ProblemIssue): (string | number)[] {
  const segments = (issue.path.match(/\[[0-9]+\]|[^.[\]]+/g) ?? []).map((s) => {
    const index = /^\[([0-9]+)\]$/.exec(s)?.[1] ?? s;
    return /^(0|[1-9][0-9]{0,8})$/.test(index) ? Number(index) : s;
  });
  return [issue.location ?? 'body', ...segments];
}

/**
 * The body Airflow's execution API gives for this error:
 * - validation: FastAPI's list `{"detail": [{"loc", "msg", "type"}]}`;
 * - a plain-string answer (auth, unknown route): `{"detail": "<text>"}`;
 * - the catch-all 500: `{"message": "Internal server error", "correlation-id": <id>}` (the SDK reads
 *   it through its fallback branch, detail = the whole body; a 5xx is retried whatever it says);
 * - everything else: `{"detail": {"reason", "message", ...extensions}}`, the typed shape the SDK
 *   branches on (`reason`, `previous_state`, …).
 * Extensions are the problem's own safe members, so nothing here can carry SQL or values either.
 */
export function buildAirflowError(input: ProblemInput, correlationId: string): AirflowErrorBody {
  const wording = input.airflow;
  if (wording === 'internal_error') return { message: 'Internal server error', 'correlation-id': correlationId };
  if (wording !== undefined && 'detail' in wording) return { detail: wording.detail };
  if (input.errors !== undefined && input.errors.length > 0) {
    return { detail: input.errors.map((issue) => ({ loc: issueLoc(issue), msg: issue.message, type: issueType(issue) })) };
  }
  const detail: Record<string, unknown> = { reason: input.reason, message: wording?.message ?? input.detail };
  for (const [key, value] of Object.entries(input.extensions ?? {})) {
    if (value !== undefined && !(key in detail)) detail[key] = value;
  }
  return { detail };
}
