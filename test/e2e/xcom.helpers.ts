import { createTaskInstance, http, uniqueId, type CreatedTi, type HttpResult } from '../support/test-app';
import { ACCEPT_PROBLEM } from '../support/problem';
import { withDirect } from '../support/test-database';
import { bearer, executionToken } from '../support/tokens';

/** Helpers for the XCom e2e files: real HTTP with the right token, a direct connection to look at rows. */
/** `headers` go with every call: by default the `Accept` that asks for problem details (see `lifecycle`). */
export function xcoms(baseUrl: string, headers: Record<string, string> = ACCEPT_PROBLEM) {
  const path = (ti: Pick<CreatedTi, 'dag_id' | 'run_id' | 'task_id'>, key: string, suffix = '') =>
    `/execution/xcoms/${encodeURIComponent(ti.dag_id)}/${encodeURIComponent(ti.run_id)}/${encodeURIComponent(ti.task_id)}/${key}${suffix}`;
  const as = async (tokenOf: CreatedTi | string) => ({ ...headers, ...bearer(await executionToken(typeof tokenOf === 'string' ? tokenOf : tokenOf.id)) });
  return {
    path,
    newTi: (extra: Record<string, unknown> = {}): Promise<CreatedTi> =>
      createTaskInstance(baseUrl, { dag_id: uniqueId('xc'), run_id: 'run_1', task_id: 'push', ...extra }),
    /** POST a value (serialised with JSON.stringify). */
    set: async (ti: CreatedTi, key: string, value: unknown, query = '', token: CreatedTi | string = ti): Promise<HttpResult> =>
      http(baseUrl, 'POST', path(ti, key, query), JSON.stringify(value), await as(token)),
    /** POST this exact JSON text. */
    setText: async (ti: CreatedTi, key: string, text: string, query = '', token: CreatedTi | string = ti): Promise<HttpResult> =>
      http(baseUrl, 'POST', path(ti, key, query), text, await as(token)),
    get: async (ti: CreatedTi, key: string, query = '', token: CreatedTi | string = ti) =>
      http(baseUrl, 'GET', path(ti, key, query), undefined, await as(token)),
    head: async (ti: CreatedTi, key: string, query = '', token: CreatedTi | string = ti) =>
      http(baseUrl, 'HEAD', path(ti, key, query), undefined, await as(token)),
    item: async (ti: CreatedTi, key: string, offset: number | string, token: CreatedTi | string = ti) =>
      http(baseUrl, 'GET', path(ti, key, `/item/${offset}`), undefined, await as(token)),
    slice: async (ti: CreatedTi, key: string, query = '', token: CreatedTi | string = ti) =>
      http(baseUrl, 'GET', path(ti, key, `/slice${query}`), undefined, await as(token)),
    del: async (ti: CreatedTi, key: string, query = '', token: CreatedTi | string = ti) =>
      http(baseUrl, 'DELETE', path(ti, key, query), undefined, await as(token)),
  };
}

/** Stored XCom rows of a task instance's key (value as jsonb text, so numbers are compared exactly). */
export async function storedXComs(ti: Pick<CreatedTi, 'dag_id' | 'run_id' | 'task_id'>, key: string): Promise<{ map_index: number; value: string }[]> {
  return withDirect(
    async (c) =>
      (
        await c.query('select map_index, value::text as value from xcom where dag_id = $1 and run_id = $2 and task_id = $3 and key = $4 order by map_index', [
          ti.dag_id,
          ti.run_id,
          ti.task_id,
          key,
        ])
      ).rows,
  );
}

export async function storedTaskMap(ti: Pick<CreatedTi, 'dag_id' | 'run_id' | 'task_id'>): Promise<{ map_index: number; length: number; keys: unknown }[]> {
  return withDirect(
    async (c) =>
      (
        await c.query('select map_index, length, keys from task_map where dag_id = $1 and run_id = $2 and task_id = $3 order by map_index', [
          ti.dag_id,
          ti.run_id,
          ti.task_id,
        ])
      ).rows,
  );
}

/**
 * Python's `seq[start:stop:step]`, written from the language reference (not from the service's
 * code): the indices `start + n*step` that stay on the near side of `stop`, after negative bounds
 * count from the end and out-of-range bounds are clamped to the ends the step walks towards.
 */
export function pythonSlice<T>(seq: readonly T[], start?: number, stop?: number, step = 1): T[] {
  if (step === 0) throw new Error('ValueError: slice step cannot be zero');
  const n = seq.length;
  const lower = step > 0 ? 0 : -1;
  const upper = step > 0 ? n : n - 1;
  const bound = (v: number | undefined, omitted: number) => {
    if (v === undefined) return omitted;
    const from = v < 0 ? v + n : v;
    return Math.min(Math.max(from, lower), upper);
  };
  const i = bound(start, step > 0 ? lower : upper);
  const j = bound(stop, step > 0 ? upper : lower);
  const out: T[] = [];
  for (let x = i; step > 0 ? x < j : x > j; x += step) out.push(seq[x]);
  return out;
}
