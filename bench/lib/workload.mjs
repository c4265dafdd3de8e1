// The two shapes, the request bodies, the load (autocannon) and the integrity check.
import autocannon from 'autocannon';
import pg from 'pg';
import { requestHeaders, signToken } from './service.mjs';

export const BODY_VARIANTS = 4;

/**
 * A realistic rendered-fields body of about 1 KB: a command, a templated SQL query, an
 * environment with a secret, operator kwargs with a password, a templates dict. `secret` is the
 * value under the sensitive keys: the bench sends a real-looking one and expects "***" stored.
 */
export function renderedFields(variant, secret) {
  return {
    bash_command: `python /opt/airflow/jobs/export_orders.py --date 2026-11-25 --partition ${variant} --target s3://warehouse-exports/daily/orders/part-${variant}/ --format parquet --retries 3`,
    sql: `SELECT o.order_id, o.customer_id, o.amount, o.currency, c.country, c.segment FROM sales.orders o JOIN sales.customers c ON c.id = o.customer_id WHERE o.created_at >= '2026-11-25' AND o.created_at < '2026-11-26' AND o.partition_key = ${variant} ORDER BY o.order_id`,
    env: { API_KEY: secret, TARGET_ENV: 'production', REGION: 'eu-west-1', BATCH_SIZE: '5000', LOG_FORMAT: 'json' },
    op_kwargs: { conn_id: 'warehouse_default', password: secret, table: `orders_part_${variant}`, chunk_size: 10000, dry_run: false },
    templates_dict: {
      ds: '2026-11-25',
      ds_nodash: '20261125',
      run_id: 'scheduled__2026-11-25T00:00:00+00:00',
      labels: ['daily', 'export', `partition-${variant}`],
      notify: ['data-platform@example.com'],
    },
  };
}

export const SENT_BODIES = Array.from({ length: BODY_VARIANTS }, (_, v) => JSON.stringify(renderedFields(v, `sk_live_${v}_9f8e7d6c5b4a39281706f5e4d3c2b1a0`)));
export const STORED_BODIES = Array.from({ length: BODY_VARIANTS }, (_, v) => JSON.stringify(renderedFields(v, '***')));

/**
 * Task instances to seed. contention: one dag run of 8 tasks that every connection writes to.
 * spread: 1,000 task instances as 20 dags × 5 runs × 10 tasks (fewer runs per dag than the
 * retention keeps, so retention deletes nothing the integrity check expects to find).
 */
export function shapeTaskInstances(shape, tag) {
  const runAfter = (r) => new Date(Date.UTC(2026, 10, 1 + r)).toISOString();
  if (shape === 'contention') {
    return Array.from({ length: 8 }, (_, t) => ({ dag_id: `bench_${tag}_hot`, run_id: 'run_0', task_id: `task_${t}`, run_after: runAfter(0) }));
  }
  if (shape === 'warmup') {
    return Array.from({ length: 64 }, (_, t) => ({ dag_id: `bench_${tag}_warmup`, run_id: 'run_0', task_id: `task_${t}`, run_after: runAfter(0) }));
  }
  const out = [];
  for (let d = 0; d < 20; d++)
    for (let r = 0; r < 5; r++)
      for (let t = 0; t < 10; t++) out.push({ dag_id: `bench_${tag}_spread_${d}`, run_id: `run_${r}`, task_id: `task_${t}`, run_after: runAfter(r) });
  return out;
}

/**
 * Drives PUT /execution/task-instances/{id}/rtif at `connections` for `seconds`, each request on a
 * task instance picked at random and with one of the body variants (or of `bodies`) in turn, each
 * with its task instance's token (`sign`: the service's HS256 by default, the Airflow replica's HS512). Returns autocannon's
 * figures plus which task instances were sent a write and which were acknowledged with a 2xx.
 */
export async function driveRtif({ baseUrl, ids, connections, seconds, bodies = SENT_BODIES, sign = signToken }) {
  const sent = new Set();
  const acked = new Set();
  let counter = 0;
  const headersOf = new Map();
  for (const id of ids) headersOf.set(id, requestHeaders(await sign(id, 'execution')));
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'PUT',
        headers: headersOf.get(ids[0]),
        setupRequest(req, context) {
          const ti = ids[Math.floor(Math.random() * ids.length)];
          context.ti = ti;
          sent.add(ti);
          return { ...req, path: `/execution/task-instances/${ti}/rtif`, headers: headersOf.get(ti), body: bodies[counter++ % bodies.length] };
        },
        onResponse(status, _body, context) {
          if (status >= 200 && status < 300) acked.add(context.ti);
        },
      },
    ],
  });
  return { result, sent, acked };
}

/**
 * After a run: every acknowledged task instance has exactly one RTIF row equal to one of the
 * redacted bodies; one that was sent a write whose answer the run's end cut off has at most one,
 * and if one, equal to a redacted body; one never written has none. Also checks the Airflow
 * replica's database: the same table and key names (its `json` column is compared as jsonb).
 */
export async function checkIntegrity(databaseUrl, ids, { sent, acked }) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select t.id, count(r.dag_id)::int as rows, coalesce(bool_and(r.rendered_fields::jsonb = any($2::jsonb[])), true) as equal
         from task_instance t
         left join rendered_task_instance_fields r
           on r.dag_id = t.dag_id and r.task_id = t.task_id and r.run_id = t.run_id and r.map_index = t.map_index
        where t.id = any($1::uuid[])
        group by t.id`,
      [ids, STORED_BODIES],
    );
    const problems = [];
    if (rows.length !== ids.length) problems.push(`${ids.length - rows.length} task instances missing`);
    for (const r of rows) {
      const expected = acked.has(r.id) ? '1' : sent.has(r.id) ? '0 or 1' : '0';
      const okCount = expected === '1' ? r.rows === 1 : expected === '0' ? r.rows === 0 : r.rows <= 1;
      if (!okCount) problems.push(`${r.id}: ${r.rows} rows, expected ${expected}`);
      if (!r.equal) problems.push(`${r.id}: stored fields equal none of the redacted bodies`);
    }
    return { checked: rows.length, written: acked.size, problems: problems.slice(0, 10), clean: problems.length === 0 };
  } finally {
    await client.end();
  }
}

/** The figures the report keeps from one autocannon result. */
export function summarize(result, seconds) {
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  const answered = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    requests: answered,
    rps: Math.round(answered / seconds),
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    status_codes: statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * The read shapes: what every task does at its start (`Variable.get`, `BaseHook.get_connection`),
 * GET /execution/variables/{key} and GET /execution/connections/{conn_id} over 100 seeded keys,
 * the values stored encrypted (the bench gives the service a FERNET_KEY, as a deployment has one),
 * so each read also opens a Fernet token.
 */
export const READ_SHAPES = ['variable-get', 'connection-get'];
const READ_TARGETS = 100;

/** Seeds the variables or connections a read shape reads, through the control plane; returns each path and the exact body expected. */
export async function seedReadTargets(baseUrl, shape, tag) {
  const admin = requestHeaders(await signToken('bench-admin', 'admin'));
  const targets = [];
  for (let i = 0; i < READ_TARGETS; i++) {
    const id = `bench_${tag}/${shape}_${i}`;
    if (shape === 'variable-get') {
      const value = JSON.stringify({ bucket: `s3://warehouse-exports/daily/part-${i}/`, region: 'eu-west-1', batch_size: 5000, owners: ['data-platform'] });
      await put(baseUrl, `/api/v1/variables/${id}`, { value, description: 'bench' }, admin);
      targets.push({ path: `/execution/variables/${id}`, expected: JSON.stringify({ key: id, value }) });
    } else {
      const conn = {
        conn_type: 'postgres',
        host: `db-${i}.internal`,
        schema: 'analytics',
        login: 'etl',
        password: `pw_${i}_9f8e7d6c5b4a`,
        port: 5432,
        extra: '{"sslmode": "require", "connect_timeout": 10}',
      };
      await put(baseUrl, `/api/v1/connections/${id}`, conn, admin);
      targets.push({ path: `/execution/connections/${id}`, expected: JSON.stringify({ conn_id: id, ...conn }) });
    }
  }
  return targets;
}

async function put(baseUrl, path, body, headers) {
  const res = await fetch(baseUrl + path, { method: 'PUT', headers, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`seeding ${path}: ${res.status} ${await res.text()}`);
}

/**
 * Drives GETs of `targets` (picked at random) at `connections` for `seconds`, with the execution
 * tokens of `tokenIds` in turn. Integrity: every 200 carries exactly the seeded body (decrypted).
 */
export async function driveReads({ baseUrl, targets, tokenIds, connections, seconds }) {
  const headers = [];
  for (const id of tokenIds) headers.push(requestHeaders(await signToken(id, 'execution')));
  const read = new Set();
  const problems = [];
  let counter = 0;
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'GET',
        headers: headers[0],
        setupRequest(req, context) {
          const target = targets[Math.floor(Math.random() * targets.length)];
          context.target = target;
          return { ...req, path: target.path, headers: headers[counter++ % headers.length] };
        },
        onResponse(status, body, context) {
          if (status !== 200) return;
          read.add(context.target.path);
          if (body !== context.target.expected && problems.length < 10) problems.push(`${context.target.path}: body differs from the seeded value`);
        },
      },
    ],
  });
  return { result, integrity: { checked: targets.length, written: read.size, problems, clean: problems.length === 0 } };
}
