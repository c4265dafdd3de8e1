// Heartbeat and run→success latency against a running server (loopback only), bounded in count and time.
//   node bench/lifecycle-heartbeat.mjs --admin-token <token> [--url http://127.0.0.1:8080] [--tis 20] [--heartbeats 2000] [--concurrency 10]
// The admin token is the one `npm start` prints (or BENCH_ADMIN_TOKEN). Each task instance runs as a
// worker does: a workload token from the token route, exchanged at /run for an execution token.
// Prints JSON: requests, seconds, requests per second, p50/p95/p99 latency in ms per phase.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.BENCH_URL ?? 'http://127.0.0.1:8080' },
    'admin-token': { type: 'string', default: process.env.BENCH_ADMIN_TOKEN },
    tis: { type: 'string', default: '20' },
    heartbeats: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '10' },
    'max-seconds': { type: 'string', default: '60' },
  },
});
const base = values.url;
if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(base)) throw new Error('loopback URLs only');
const tis = Math.min(Number(values.tis), 500);
const total = Math.min(Number(values.heartbeats), 100_000);
const concurrency = Math.min(Number(values.concurrency), 64);
const deadline = Date.now() + Math.min(Number(values['max-seconds']), 600) * 1000;
const admin = values['admin-token'];
if (!admin) throw new Error('--admin-token (or BENCH_ADMIN_TOKEN) is required: every route needs a bearer token');
/** Task instance id → its current bearer token (workload until /run hands out an execution token). */
const tokens = new Map();

async function call(method, path, body, id) {
  const started = performance.now();
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(id)}` };
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  await res.arrayBuffer();
  // The exchange at /run and refreshes near expiry: swap the token, as the Task SDK client does.
  const refreshed = res.headers.get('refreshed-api-token');
  if (refreshed) tokens.set(id, refreshed);
  return { status: res.status, ms: performance.now() - started };
}

function summary(name, samples, seconds) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p) => Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(2));
  const statuses = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  return {
    phase: name,
    requests: samples.length,
    seconds: Number(seconds.toFixed(2)),
    per_second: Math.round(samples.length / seconds),
    p50_ms: pct(50),
    p95_ms: pct(95),
    p99_ms: pct(99),
    statuses,
  };
}

async function pool(jobs, fn) {
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length && Date.now() < deadline) out.push(await fn(jobs[next++]));
    }),
  );
  return out;
}

const dag = `bench_${Date.now()}`;
const ids = [];
const adminHeaders = { 'content-type': 'application/json', authorization: `Bearer ${admin}` };
for (let i = 0; i < tis; i++) {
  const res = await fetch(`${base}/api/v1/task-instances`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ dag_id: dag, run_id: 'run', task_id: `t${i}` }),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  const { id } = await res.json();
  const token = await fetch(`${base}/api/v1/task-instances/${id}/token`, { method: 'POST', headers: adminHeaders });
  tokens.set(id, (await token.json()).access_token);
  ids.push(id);
}
const worker = { hostname: 'bench-host', unixname: 'bench', pid: 4242 };

let t0 = performance.now();
const runs = await pool(ids, (id) =>
  call('PATCH', `/execution/task-instances/${id}/run`, { state: 'running', ...worker, start_date: new Date().toISOString() }, id),
);
const runSummary = summary('run', runs, (performance.now() - t0) / 1000);

t0 = performance.now();
const beats = await pool(
  Array.from({ length: total }, (_, i) => ids[i % ids.length]),
  (id) => call('PUT', `/execution/task-instances/${id}/heartbeat`, { hostname: worker.hostname, pid: worker.pid }, id),
);
const beatSummary = summary('heartbeat', beats, (performance.now() - t0) / 1000);

t0 = performance.now();
const done = await pool(ids, (id) => call('PATCH', `/execution/task-instances/${id}/state`, { state: 'success', end_date: new Date().toISOString() }, id));
const doneSummary = summary('state success', done, (performance.now() - t0) / 1000);

console.log(JSON.stringify({ url: base, tis, concurrency, results: [runSummary, beatSummary, doneSummary] }, null, 2));
