// The figures derived from one run, and the comparison against the targets of issue 25: the
// service against the Airflow replica on the same run, its CPU per write against PostgreSQL's,
// and its open-loop tail.

import { READ_SHAPES } from './workload.mjs';

const round2 = (x) => Math.round(x * 100) / 100;

/** The targets, each with the word the bench prints against it. */
export const TARGETS = {
  multiple_of_airflow: 2.5,
  service_per_postgres_cpu: 1.0,
  open_loop_p99_per_mean: 1.5,
};

/**
 * Adds to a run's entry what holds across machines where req/s does not: CPU milliseconds per
 * answered request of each party, the service's ÷ PostgreSQL's, and (closed loop) how far p99
 * strays from the mean latency the connection count implies (connections / throughput).
 */
export function addPerRequestFigures(entry, cpu, { seconds, connections }) {
  entry.cpu_ms_per_request = {
    service: Math.round(((cpu.service * seconds) / entry.requests) * 1e5) / 100,
    postgres: Math.round(((cpu.postgres * seconds) / entry.requests) * 1e5) / 100,
  };
  entry.service_per_postgres_cpu = entry.cpu_ms_per_request.postgres > 0 ? round2(entry.cpu_ms_per_request.service / entry.cpu_ms_per_request.postgres) : null;
  entry.p99_per_mean_latency = entry.rps > 0 ? round2(entry.latency_ms.p99 / ((connections / entry.rps) * 1000)) : null;
  return entry;
}

const word = (ok) => (ok === null ? '–' : ok ? 'PASS' : 'FAIL');

/**
 * One row per process count and RTIF shape that both the service (direct path) and the Airflow
 * replica ran: req/s of each, the multiple (target ≥ 2.5), the service's CPU per write ÷
 * PostgreSQL's (target ≤ 1.0), and the service's open-loop tail at 70 % of its saturation
 * (p99 ÷ mean, target ≤ 1.5), each with PASS or FAIL.
 */
export function compareTargets(results) {
  const rows = [];
  const services = results.runs.filter((r) => r.target === 'service' && r.path === 'direct' && !READ_SHAPES.includes(r.shape));
  for (const s of services) {
    const a = results.runs.find((r) => r.target === 'airflow' && r.processes === s.processes && r.shape === s.shape);
    const multiple = a && a.rps > 0 ? round2(s.rps / a.rps) : null;
    const ol = s.open_loop;
    rows.push({
      shape: s.shape,
      processes: s.processes,
      service_rps: s.rps,
      airflow_rps: a?.rps ?? null,
      multiple,
      multiple_verdict: word(multiple === null ? null : multiple >= TARGETS.multiple_of_airflow),
      // A replica run with errors or timeouts (a loaded machine) makes its req/s, so the multiple, suspect.
      airflow_troubled: a ? a.errors > 0 || a.timeouts > 0 || !a.integrity.clean : null,
      service_per_postgres_cpu: s.service_per_postgres_cpu,
      cpu_verdict: word(s.service_per_postgres_cpu === null ? null : s.service_per_postgres_cpu <= TARGETS.service_per_postgres_cpu),
      airflow_per_postgres_cpu: a?.service_per_postgres_cpu ?? null,
      open_loop: ol ?? null,
      tail_verdict: word(ol?.p99_per_mean == null ? null : ol.p99_per_mean <= TARGETS.open_loop_p99_per_mean),
      airflow_open_loop: a?.open_loop ?? null,
    });
  }
  return rows;
}

const fmt = (n) => (n === undefined || n === null || Number.isNaN(n) ? '–' : String(n));
const tail = (ol) =>
  ol
    ? `${fmt(ol.latency_ms.p50)} / ${fmt(ol.latency_ms.p99)} / ${fmt(ol.latency_ms.mean)} | ${fmt(ol.p99_per_mean)} | ${ol.achieved_rps} of ${ol.target_rps}${ol.errors || ol.dropped || ol.timeouts ? ` (errors ${ol.errors}, dropped ${ol.dropped}, timeouts ${ol.timeouts})` : ''}`
    : '– | – | –';

/** The comparison as a markdown table (printed by the bench, and written under the runs table). */
export function comparisonMarkdown(rows) {
  const lines = [
    `| shape | processes | service req/s | Airflow req/s | service ÷ Airflow (≥ ${TARGETS.multiple_of_airflow}) | service CPU/write ÷ PostgreSQL's (≤ ${TARGETS.service_per_postgres_cpu}) | Airflow's CPU/write ÷ PostgreSQL's | service open-loop @70 %: p50 / p99 / mean ms | p99 ÷ mean (≤ ${TARGETS.open_loop_p99_per_mean}) | achieved of target req/s | Airflow open-loop @70 % of its own: p50 / p99 / mean ms | p99 ÷ mean | achieved of target req/s |`,
    '|---|---|---:|---:|---|---|---:|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const [sLat, sRatio, sRate] = tail(r.open_loop).split(' | ');
    lines.push(
      `| ${r.shape} | ${r.processes} | ${r.service_rps} | ${fmt(r.airflow_rps)} | ${fmt(r.multiple)} **${r.multiple_verdict}**${r.airflow_troubled ? ' (the replica had errors or timeouts)' : ''} | ${fmt(r.service_per_postgres_cpu)} **${r.cpu_verdict}** | ${fmt(r.airflow_per_postgres_cpu)} | ${sLat} | ${sRatio} **${r.tail_verdict}** | ${sRate} | ${tail(r.airflow_open_loop)} |`,
    );
  }
  return lines.join('\n');
}
