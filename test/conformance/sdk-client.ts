import { v7 as uuidv7 } from 'uuid';
import type { SdkVersion } from './sdk-versions';

/**
 * A TypeScript port of the parts of the Task SDK's HTTP client that decide what a worker sees:
 * the request it sends (headers, body, query) and how it classifies the answer. Ported from
 * `task-sdk/src/airflow/sdk/api/client.py` (apache/airflow, commit 00414da8, read through the search
 * tool); each function quotes the Python it ports. No Python SDK can be installed here, so this
 * port is what "as the SDK would decide" means in the conformance tier.
 */

export interface SdkResponse {
  status: number;
  headers: Headers;
  text: string;
  /** `response.json()` (undefined for an empty body). */
  json: unknown;
}

/**
 * ```python
 * class ServerResponseError(httpx.HTTPStatusError):
 *     detail: list[RemoteValidationError] | str | dict[str, Any] | None
 * ```
 */
export class ServerResponseError extends Error {
  constructor(
    message: string,
    readonly response: SdkResponse,
    readonly detail: unknown,
  ) {
    super(message);
  }
}

/** `httpx.HTTPStatusError` from `response.raise_for_status()`: no parsed detail, no typed branch. */
export class HTTPStatusError extends Error {
  constructor(readonly response: SdkResponse) {
    super(`HTTP ${response.status}`);
  }
}

/** `airflow.sdk.exceptions.TaskAlreadyRunningError` */
export class TaskAlreadyRunningError extends Error {}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `ValidationError` of the generated models: `loc: list[str | int]`, `msg: str`, `type: str`. */
function isRemoteValidationError(value: unknown): boolean {
  return (
    isRecord(value) &&
    Array.isArray(value.loc) &&
    value.loc.every((part) => typeof part === 'string' || Number.isInteger(part)) &&
    typeof value.msg === 'string' &&
    typeof value.type === 'string'
  );
}

/**
 * ```python
 * @classmethod
 * def from_response(cls, response: httpx.Response) -> ServerResponseError | None:
 *     if response.is_success:
 *         return None
 *     # 4xx or 5xx error?
 *     if not (400 <= response.status_code < 600):
 *         return None
 *
 *     if response.headers.get("content-type") != "application/json":
 *         return None
 *
 *     detail: list[RemoteValidationError] | dict[str, Any] | None = None
 *     try:
 *         body = _ErrorBody.model_validate_json(response.read())   # detail: list[RemoteValidationError] | dict[str, Any] | str
 *
 *         if isinstance(body.detail, list):
 *             detail = body.detail
 *             msg = "Remote server returned validation error"
 *         elif isinstance(body.detail, dict):
 *             detail = body.detail
 *             msg = "Server returned error"
 *         else:
 *             msg = body.detail or "Un-parseable error"
 *     except Exception:
 *         try:
 *             detail = msgspec.json.decode(response.content)
 *         except Exception:
 *             # Fallback to a normal httpx error
 *             return None
 *         msg = "Server returned error"
 *
 *     self = cls(msg, request=response.request, response=response)
 *     self.detail = detail
 *     return self
 * ```
 */
export function fromResponse(response: SdkResponse): ServerResponseError | null {
  if (response.status >= 200 && response.status < 300) return null;
  if (!(response.status >= 400 && response.status < 600)) return null;
  if (response.headers.get('content-type') !== 'application/json') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.text);
  } catch {
    return null;
  }
  if (isRecord(parsed) && 'detail' in parsed) {
    const detail = parsed.detail;
    if (Array.isArray(detail) && detail.every(isRemoteValidationError)) {
      return new ServerResponseError('Remote server returned validation error', response, detail);
    }
    if (isRecord(detail)) return new ServerResponseError('Server returned error', response, detail);
    if (typeof detail === 'string') return new ServerResponseError(detail || 'Un-parseable error', response, null);
  }
  // _ErrorBody did not match: the whole decoded body becomes the detail.
  return new ServerResponseError('Server returned error', response, parsed);
}

/**
 * The response hooks `Client` installs, in order: `_update_auth` (swap the bearer token when
 * `Refreshed-API-Token` is present), then `raise_on_4xx_5xx`:
 * ```python
 * def raise_on_4xx_5xx(response: httpx.Response):
 *     return get_json_error(response) or response.raise_for_status()
 * ```
 */
function raiseOn4xx5xx(response: SdkResponse): void {
  const error = fromResponse(response);
  if (error) throw error;
  if (response.status >= 400) throw new HTTPStatusError(response);
}

/**
 * httpx's query encoding of `params=` (`primitive_value_to_str`: `True` → `"true"`, `None` →
 * `""`; lists repeat the key).
 */
export function pythonQuery(params: Record<string, string | number | boolean | null | (string | number)[]>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      search.append(key, item === true ? 'true' : item === false ? 'false' : item === null ? '' : String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * `airflow.sdk.api.client.Client` against `<baseUrl>/execution/` as `[core] execution_api_server_url`:
 * relative paths, the version's headers, one bearer token that `Refreshed-API-Token` replaces.
 */
export class SdkClient {
  /** Every request this client sent, for assertions on the wire. */
  readonly sent: SentRequest[] = [];

  constructor(
    private readonly baseUrl: string,
    readonly version: SdkVersion,
    public token: string,
  ) {}

  /**
   * ```python
   * super().__init__(auth=auth, headers={
   *     "user-agent": f"apache-airflow-task-sdk/{__version__} (Python/{pyver})",
   *     "airflow-api-version": API_VERSION,
   * }, event_hooks={"response": [self._update_auth, raise_on_4xx_5xx],
   *                 "request": [add_correlation_id, inject_trace_context]}, ...)
   *
   * def request(self, *args, **kwargs):
   *     # Set content type as convenience if not already set
   *     if kwargs.get("content", None) is not None and "content-type" not in (kwargs.get("headers", {}) or {}):
   *         kwargs["headers"] = {"content-type": "application/json"}
   * ```
   * `json=` bodies get `content-type: application/json` from httpx itself (compact separators).
   * No tracing is configured, so `inject_trace_context` adds no `traceparent`.
   */
  async request(
    method: string,
    path: string,
    options: { content?: string; json?: unknown; params?: Parameters<typeof pythonQuery>[0] } = {},
  ): Promise<SdkResponse> {
    const headers: Record<string, string> = {
      accept: '*/*',
      'accept-encoding': 'gzip, deflate',
      'user-agent': `apache-airflow-task-sdk/${this.version.release} (Python/3.12.0)`,
      'airflow-api-version': this.version.apiVersion,
      authorization: `Bearer ${this.token}`,
      'correlation-id': uuidv7(),
    };
    let body: string | undefined;
    if (options.content !== undefined) body = options.content;
    else if (options.json !== undefined) body = JSON.stringify(options.json);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.baseUrl}/execution/${path.replace(/^\//, '')}${options.params ? pythonQuery(options.params) : ''}`;
    this.sent.push({ method, url, headers, body });
    const res = await fetch(url, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const response: SdkResponse = { status: res.status, headers: res.headers, text, json };
    const refreshed = res.headers.get('refreshed-api-token');
    if (refreshed) this.token = refreshed;
    raiseOn4xx5xx(response);
    return response;
  }

  /**
   * ```python
   * def start(self, id, pid, when) -> TIRunContext:
   *     body = TIEnterRunningPayload(pid=pid, hostname=get_hostname(), unixname=getuser(), start_date=when)
   *     try:
   *         resp = self.client.patch(f"task-instances/{id}/run", content=body.model_dump_json())
   *     except ServerResponseError as e:
   *         if e.response.status_code == HTTPStatus.CONFLICT:
   *             detail = e.detail
   *             if (isinstance(detail, dict) and detail.get("reason") == "invalid_state"
   *                     and detail.get("previous_state") == "running"):
   *                 raise TaskAlreadyRunningError(f"Task instance {id} is already running") from e
   *         raise
   *     return TIRunContext.model_validate_json(resp.read())
   * ```
   * The caller validates the body against its version's `TIRunContext`.
   */
  async start(id: string, body: Record<string, unknown>): Promise<SdkResponse> {
    try {
      return await this.request('PATCH', `task-instances/${id}/run`, { content: JSON.stringify(body) });
    } catch (error) {
      if (error instanceof ServerResponseError && error.response.status === 409) {
        const detail = error.detail;
        if (isRecord(detail) && detail.reason === 'invalid_state' && detail.previous_state === 'running') {
          throw new TaskAlreadyRunningError(`Task instance ${id} is already running`);
        }
      }
      throw error;
    }
  }

  /**
   * ```python
   * def get(self, dag_id, run_id, task_id, key, map_index=None, include_prior_dates=False) -> XComResponse:
   *     params = {}
   *     if map_index is not None and map_index >= 0: params.update({"map_index": map_index})
   *     if include_prior_dates: params.update({"include_prior_dates": include_prior_dates})
   *     try:
   *         resp = self.client.get(f"xcoms/{dag_id}/{run_id}/{task_id}/{key}", params=params)
   *     except ServerResponseError as e:
   *         if e.response.status_code == HTTPStatus.NOT_FOUND:
   *             return XComResponse(key=key, value=None)
   *         raise
   *     return XComResponse.model_validate_json(resp.read())
   * ```
   */
  async xcomGet(
    dagId: string,
    runId: string,
    taskId: string,
    key: string,
    mapIndex?: number,
    includePriorDates = false,
  ): Promise<{ response?: SdkResponse; value: unknown }> {
    const params: Record<string, number | boolean> = {};
    if (mapIndex !== undefined && mapIndex >= 0) params.map_index = mapIndex;
    if (includePriorDates) params.include_prior_dates = includePriorDates;
    try {
      const response = await this.request('GET', `xcoms/${dagId}/${runId}/${taskId}/${key}`, { params });
      return { response, value: response.json };
    } catch (error) {
      if (error instanceof ServerResponseError && error.response.status === 404) return { value: { key, value: null } };
      throw error;
    }
  }

  /**
   * ```python
   * def get_sequence_item(self, dag_id, run_id, task_id, key, offset) -> XComSequenceIndexResponse | ErrorResponse:
   *     try:
   *         resp = self.client.get(f"xcoms/{dag_id}/{run_id}/{task_id}/{key}/item/{offset}")
   *     except ServerResponseError as e:
   *         if e.response.status_code == HTTPStatus.NOT_FOUND:
   *             return ErrorResponse(error=ErrorType.XCOM_NOT_FOUND, detail={...})
   *         raise
   *     return XComSequenceIndexResponse.model_validate_json(resp.read())
   * ```
   */
  async xcomSequenceItem(
    dagId: string,
    runId: string,
    taskId: string,
    key: string,
    offset: number,
  ): Promise<{ response?: SdkResponse; error?: 'XCOM_NOT_FOUND' }> {
    try {
      return { response: await this.request('GET', `xcoms/${dagId}/${runId}/${taskId}/${key}/item/${offset}`) };
    } catch (error) {
      if (error instanceof ServerResponseError && error.response.status === 404) return { error: 'XCOM_NOT_FOUND' };
      throw error;
    }
  }
}

/**
 * `ConnectionOperations.get` and `VariableOperations.get` (same shape):
 * ```python
 * try:
 *     resp = self.client.get(f"connections/{conn_id}")
 * except ServerResponseError as e:
 *     if e.response.status_code == HTTPStatus.NOT_FOUND:
 *         return ErrorResponse(error=ErrorType.CONNECTION_NOT_FOUND, detail={"conn_id": conn_id})
 *     if e.response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
 *         return ErrorResponse(error=ErrorType.PERMISSION_DENIED, detail={...})
 *     raise
 * return ConnectionResponse.model_validate_json(resp.read())
 * ```
 */
export async function lookupOutcome(
  client: SdkClient,
  path: string,
  notFound: 'CONNECTION_NOT_FOUND' | 'VARIABLE_NOT_FOUND',
): Promise<'found' | 'CONNECTION_NOT_FOUND' | 'VARIABLE_NOT_FOUND' | 'PERMISSION_DENIED'> {
  try {
    await client.request('GET', path);
    return 'found';
  } catch (error) {
    if (error instanceof ServerResponseError && error.response.status === 404) return notFound;
    if (error instanceof ServerResponseError && (error.response.status === 401 || error.response.status === 403)) return 'PERMISSION_DENIED';
    throw error;
  }
}

/**
 * The supervisor's reading of a failed heartbeat (`WatchedSubprocess._send_heartbeat_if_needed`
 * in `task-sdk/src/airflow/sdk/execution_time/supervisor.py`, as the reference documents it): a
 * `ServerResponseError` with status 404 or 409 logs "Server indicated the task shouldn't be
 * running anymore" and terminates the task (`SERVER_TERMINATED`); any other exception (a plain
 * `HTTPStatusError` included) only counts towards `[workers] max_failed_heartbeats`.
 */
export function heartbeatOutcome(error: unknown): 'terminate' | 'count_failure' {
  if (error instanceof ServerResponseError && (error.response.status === 404 || error.response.status === 409)) return 'terminate';
  return 'count_failure';
}

/**
 * The supervisor's request loop (`WatchedSubprocess.handle_requests`) catches only
 * `ServerResponseError` and hands the task `ErrorResponse(API_SERVER_ERROR, detail={status_code,
 * message, detail})`; anything else escapes that handler.
 */
export function supervisorOutcome(
  error: unknown,
): { error: 'API_SERVER_ERROR'; detail: { status_code: number; message: string; detail: unknown } } | 'escapes' {
  if (error instanceof ServerResponseError) {
    return { error: 'API_SERVER_ERROR', detail: { status_code: error.response.status, message: error.message, detail: error.detail } };
  }
  return 'escapes';
}
