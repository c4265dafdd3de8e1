// The steady load of the chaos suite and its client-side ledger. Each load loop plays Airflow
// workers running task instances one after another: PATCH …/run, an RTIF write, heartbeats, two
// XCom sets, a second RTIF write, PATCH …/state success. Every answer is classified and kept with
// its time; every write the service acknowledged (2xx) goes into the ledger, which is checked row
// by row against the database once the faults are over.
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { requestHeaders, signToken } from '../../bench/lib/service.mjs';
import { sleep } from '../../bench/lib/system.mjs';

/** The SDK's client retries a 5xx; the suite retries a 503 (or a reset) the same way, a bounded number of times. */
const MAX_ATTEMPTS = 60;
const RETRY_CAP_MS = 500;
/** No request may take longer: one that does counts as unanswered. */
const REQUEST_TIMEOUT_MS = 30_000;
const WORKER = { hostname: 'chaos-host', unixname: 'chaos', pid: 4242 };

/**
 * How an answer counts. `ok`: 2xx; `unavailable`: 503 with Retry-After; `typed_4xx`: a 4xx whose
 * JSON body says why; `reset`: the connection closed without an answer; everything else
 * (`status_500`, a 5xx other than that 503, an untyped 4xx, a timeout) is a violation.
 */
function classify(status, headers, text) {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 503) return headers.get('retry-after') ? 'unavailable' : 'unavailable_without_retry_after';
  if (status >= 400 && status < 500) {
    try {
      const body = JSON.parse(text);
      return body && typeof body === 'object' && ('detail' in body || 'code' in body) ? 'typed_4xx' : 'untyped_4xx';
    } catch {
      return 'untyped_4xx';
    }
  }
  return status === 500 ? 'status_500' : `status_${status}`;
}

/** The problem's `reason` (problem details, or Airflow's `{detail: {reason}}`) of a non-2xx answer. */
function reasonOf(status, text) {
  if (status < 300) return undefined;
  try {
    const body = JSON.parse(text);
    return body?.reason ?? body?.detail?.reason ?? String(status);
  } catch {
    return String(status);
  }
}

export const ALLOWED = new Set(['ok', 'unavailable', 'typed_4xx', 'reset']);

/**
 * `deadline` bounds the load in time whatever happens; `stop()` ends it earlier, once the last
 * fault's window is over (a fault that takes long to inject, like filling a disk, moves that on).
 */
export function createLoad({ baseUrl, adminToken, tag, loops, deadline: hardDeadline }) {
  let deadline = hardDeadline;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(baseUrl)) throw new Error('the chaos load targets 127.0.0.1 only');
  /** Every answer: { at (ms since epoch, when answered), op, outcome, status, reason (non-2xx), ms (latency) }. */
  const answers = [];
  /** Task instance id → what was sent and what was acknowledged. */
  const ledger = new Map();
  /** 4xx that were not the settling of an earlier unanswered attempt (each is a violation). */
  const unexpected = [];

  async function send(method, path, body, token) {
    const started = Date.now();
    try {
      const res = await fetch(baseUrl + path, {
        method,
        headers: requestHeaders(token),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      return { status: res.status, outcome: classify(res.status, res.headers, text), text, reason: reasonOf(res.status, text), ms: Date.now() - started };
    } catch (error) {
      const timedOut = error?.name === 'TimeoutError' || error?.cause?.name === 'TimeoutError';
      const code = String(error?.cause?.code ?? error?.message);
      return { status: 0, outcome: timedOut ? 'timeout' : 'reset', text: code, reason: code, ms: Date.now() - started };
    }
  }

  /**
   * One operation, retried on 503 and on a reset until acknowledged. Returns 'acked', 'settled'
   * (a typed 4xx after an earlier attempt whose outcome is unknown, e.g. /run answered 409 because
   * the first attempt committed before its answer was lost) or 'unknown' (gave up).
   */
  async function operation(op, method, path, body, token) {
    let unsure = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const r = await send(method, path, body, token);
      answers.push({ at: Date.now(), op, outcome: r.outcome, status: r.status, reason: r.reason, ms: r.ms });
      if (r.outcome === 'ok') return { result: 'acked', text: r.text };
      if (r.outcome === 'typed_4xx') {
        if (!unsure) unexpected.push({ op, status: r.status, body: r.text.slice(0, 300) });
        return { result: 'settled' };
      }
      if (!ALLOWED.has(r.outcome)) return { result: 'unknown' };
      unsure = true;
      if (Date.now() > deadline + 60_000) break;
      await sleep(Math.min(RETRY_CAP_MS, 50 * attempt));
    }
    return { result: 'unknown' };
  }

  async function createTi(dagId, taskId) {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const r = await send('POST', '/api/v1/task-instances', { dag_id: dagId, run_id: 'run', task_id: taskId }, adminToken);
      answers.push({ at: Date.now(), op: 'create', outcome: r.outcome, status: r.status, reason: r.reason, ms: r.ms });
      if (r.status === 201) return JSON.parse(r.text).id;
      // A create whose answer was lost may have committed: the retry then meets the unique key.
      if (r.status === 409) return undefined;
      if (!ALLOWED.has(r.outcome) || Date.now() > deadline) return undefined;
      await sleep(Math.min(RETRY_CAP_MS, 50 * attempt));
    }
    return undefined;
  }

  /** One task instance, start to finish; stops at the first step that is not acknowledged, as a crashed task would. */
  async function runTask(loop, n) {
    const dagId = `chaos_${tag}_${loop}`;
    const taskId = `t${n}`;
    const id = await createTi(dagId, taskId);
    if (!id) return;
    const token = await signToken(id, 'execution');
    const entry = { id, dagId, taskId, states: ['queued'], stateUnsure: [], rtif: [], rtifUnsure: [], xcoms: [] };
    ledger.set(id, entry);
    const xcomPath = (key) => `/execution/xcoms/${dagId}/run/${taskId}/${key}`;
    const rtifBody = (seq) => ({ bash_command: `echo ${tag} ${loop} ${n} ${seq}`, templates_dict: { seq, ti: id, loop } });

    const transition = async (op, method, path, body, state) => {
      const { result } = await operation(op, method, path, body, token);
      if (result === 'acked') entry.states.push(state);
      else entry.stateUnsure.push(state);
      return result !== 'unknown';
    };
    const rtif = async (seq) => {
      const body = rtifBody(seq);
      const { result } = await operation('rtif', 'PUT', `/execution/task-instances/${id}/rtif`, body, token);
      if (result === 'acked') entry.rtif.push(body);
      else entry.rtifUnsure.push(body);
      return result === 'acked';
    };
    const xcom = async (key, value) => {
      const { result } = await operation('xcom', 'POST', xcomPath(key), value, token);
      entry.xcoms.push({ key, value, acked: result === 'acked' });
      return result === 'acked';
    };

    if (
      !(await transition(
        'run',
        'PATCH',
        `/execution/task-instances/${id}/run`,
        { state: 'running', ...WORKER, start_date: new Date().toISOString() },
        'running',
      ))
    )
      return;
    if (!(await rtif(1))) return;
    for (let b = 0; b < 2; b++) {
      const { result } = await operation(
        'heartbeat',
        'PUT',
        `/execution/task-instances/${id}/heartbeat`,
        { hostname: WORKER.hostname, pid: WORKER.pid },
        token,
      );
      if (result !== 'acked') return;
    }
    if (!(await xcom('rows', { loop, n, rows: [1, 2.5, 'three', null, { deep: [true] }] }))) return;
    if (!(await xcom('return_value', `${tag}-${loop}-${n}`))) return;
    if (!(await rtif(2))) return;
    await transition('state', 'PATCH', `/execution/task-instances/${id}/state`, { state: 'success', end_date: new Date().toISOString() }, 'success');
  }

  /** Runs `loops` loops until `deadline` or `stop()` (and at most `maxTasksPerLoop` task instances each). */
  async function run(maxTasksPerLoop) {
    await Promise.all(
      Array.from({ length: loops }, async (_, loop) => {
        for (let n = 0; n < maxTasksPerLoop && Date.now() < deadline; n++) await runTask(loop, n);
      }),
    );
  }

  return {
    answers,
    ledger,
    unexpected,
    run,
    stop() {
      deadline = Math.min(deadline, Date.now());
    },
  };
}

/**
 * The ledger against the database, row by row: each task instance's state is its last
 * acknowledged one or a later one whose answer was lost; its RTIF row equals the last acknowledged
 * body or a later unacknowledged one (none only if nothing was acknowledged); each acknowledged
 * XCom is there with exactly the value sent, an unacknowledged one is absent or exact.
 */
export async function checkLedger(databaseUrl, ledger) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const problems = [];
  let ackedWrites = 0;
  try {
    const ids = [...ledger.keys()];
    const tis = new Map(
      (await client.query('select id, state, hostname, pid from task_instance where id = any($1::uuid[])', [ids])).rows.map((r) => [r.id, r]),
    );
    const rtifs = new Map(
      (
        await client.query(
          `select t.id, r.rendered_fields::text as fields from task_instance t
             join rendered_task_instance_fields r on r.dag_id = t.dag_id and r.task_id = t.task_id and r.run_id = t.run_id and r.map_index = t.map_index
            where t.id = any($1::uuid[])`,
          [ids],
        )
      ).rows.map((r) => [r.id, JSON.parse(r.fields)]),
    );
    const xcoms = new Map(
      (
        await client.query(
          `select t.id, x.key, x.value::text as value from task_instance t
             join xcom x on x.dag_id = t.dag_id and x.task_id = t.task_id and x.run_id = t.run_id and x.map_index = t.map_index
            where t.id = any($1::uuid[])`,
          [ids],
        )
      ).rows.map((r) => [`${r.id}/${r.key}`, JSON.parse(r.value)]),
    );
    for (const e of ledger.values()) {
      const ti = tis.get(e.id);
      if (!ti) {
        problems.push(`${e.id}: task instance missing`);
        continue;
      }
      const lastAcked = e.states.at(-1);
      ackedWrites += e.states.length - 1;
      if (ti.state !== lastAcked && !e.stateUnsure.includes(ti.state)) problems.push(`${e.id}: state ${ti.state}, acknowledged ${lastAcked}`);
      if (ti.state !== 'queued' && (ti.hostname !== 'chaos-host' || ti.pid !== 4242)) problems.push(`${e.id}: ran on ${ti.hostname}/${ti.pid}`);

      const stored = rtifs.get(e.id);
      ackedWrites += e.rtif.length;
      const allowed = [...e.rtif.slice(-1), ...e.rtifUnsure];
      if (stored === undefined ? e.rtif.length > 0 : !allowed.some((b) => isDeepStrictEqual(b, stored)))
        problems.push(`${e.id}: RTIF ${JSON.stringify(stored)?.slice(0, 120)}, acknowledged ${JSON.stringify(e.rtif.at(-1))?.slice(0, 120)}`);

      for (const x of e.xcoms) {
        const value = xcoms.get(`${e.id}/${x.key}`);
        if (x.acked) ackedWrites += 1;
        if (value === undefined ? x.acked : !isDeepStrictEqual(value, x.value))
          problems.push(`${e.id}: XCom ${x.key} is ${JSON.stringify(value)}, sent ${JSON.stringify(x.value)}`);
      }
    }
    return { taskInstances: ledger.size, ackedWrites, problems };
  } finally {
    await client.end();
  }
}
