// The markdown table and the SVG chart, from the results alone (no network, no chart library).

const fmt = (n) => (n === undefined || n === null || Number.isNaN(n) ? '–' : String(n));

function statusText(codes) {
  return Object.entries(codes)
    .map(([code, count]) => `${code}×${count}`)
    .join(' ');
}

/** The path cell: the service's path, or the Airflow replica (always direct). */
const pathOf = (r) => (r.target === 'airflow' ? 'Airflow replica' : r.path);

function openLoopText(ol) {
  if (!ol) return '–';
  const trouble = ol.errors || ol.dropped || ol.timeouts ? `, errors ${ol.errors} dropped ${ol.dropped} timeouts ${ol.timeouts}` : '';
  return `${fmt(ol.latency_ms.p50)} / ${fmt(ol.latency_ms.p99)} / ${fmt(ol.latency_ms.mean)}, ${fmt(ol.p99_per_mean)}, ${ol.achieved_rps} of ${ol.target_rps}${trouble}`;
}

/** One markdown table: every service run (and the Airflow replica's), then the pgbench limit of each shape. */
export function markdownTable(results) {
  const lines = [
    '| shape | processes | path | req/s | vs limit | p50 ms | p90 ms | p99 ms | p99 ÷ mean | open-loop @70 %: p50 / p99 / mean ms, p99 ÷ mean, achieved of target req/s | status codes | integrity | peak RSS MiB (per worker) | CPU ms/write: service / postgres | service ÷ postgres | event loop: utilisation / max delay ms | CPU cores: service / postgres / pgbouncer / load gen / other |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|---|---|---|---|---:|---|---|',
  ];
  for (const r of results.runs) {
    const limit = results.limits[r.shape]?.tps;
    const ratio = limit ? (r.rps / limit).toFixed(2) : '–';
    const c = r.cpu_cores;
    lines.push(
      `| ${r.shape} | ${r.processes} | ${pathOf(r)} | ${r.rps} | ${ratio} | ${fmt(r.latency_ms.p50)} | ${fmt(r.latency_ms.p90)} | ${fmt(r.latency_ms.p99)} | ${fmt(r.p99_per_mean_latency)} | ${openLoopText(r.open_loop)} | ${statusText(r.status_codes)}${r.errors ? ` errors×${r.errors}` : ''}${r.timeouts ? ` timeouts×${r.timeouts}` : ''} | ${r.integrity.clean ? `clean (${r.integrity.written} TIs)` : `**${r.integrity.problems.length} problems**`} | ${r.peak_rss.workers_mib.join(', ')}${r.peak_rss.primary_mib ? ` (primary ${r.peak_rss.primary_mib})` : ''} | ${fmt(r.cpu_ms_per_request?.service)} / ${fmt(r.cpu_ms_per_request?.postgres)} | ${fmt(r.service_per_postgres_cpu)} | ${fmt(r.event_loop?.utilization)} / ${fmt(r.event_loop?.max_delay_ms)} | ${c.service} / ${c.postgres} / ${c.pgbouncer} / ${c.load_generator} / ${c.other} |`,
    );
  }
  for (const [shape, l] of Object.entries(results.limits)) {
    lines.push(
      `| ${shape} | pgbench | direct | ${l.tps} | 1.00 | ${fmt(l.latency_ms.p50)} | ${fmt(l.latency_ms.p90)} | ${fmt(l.latency_ms.p99)} | – | – | ${l.transactions} tx, ${l.failed} failed | – | – | – / ${fmt(l.cpu_ms_per_request?.postgres)} | – | – | postgres ${l.cpu_cores.postgres}, pgbench ${l.cpu_cores.load_generator}, other ${l.cpu_cores.other} |`,
    );
  }
  return lines.join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Horizontal bars of req/s per shape, with p99 beside each bar and the pgbench limit as a bar. */
export function svgChart(results) {
  const shapes = [...new Set(results.runs.map((r) => r.shape))];
  const rowH = 22;
  const labelW = 210;
  const barW = 430;
  const max = Math.max(1, ...results.runs.map((r) => r.rps), ...Object.values(results.limits).map((l) => l.tps));
  const parts = [];
  let y = 40;
  for (const shape of shapes) {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(shape)}</text>`);
    y += 10;
    const rows = results.runs
      .filter((r) => r.shape === shape)
      .map((r) => ({
        label: `${r.processes} process${r.processes > 1 ? 'es' : ''}, ${pathOf(r)}`,
        value: r.rps,
        p99: r.latency_ms.p99,
        color: r.target === 'airflow' ? '#59a14f' : r.path === 'direct' ? '#4e79a7' : '#f28e2b',
      }));
    const limit = results.limits[shape];
    if (limit) rows.push({ label: 'pgbench limit (same SQL)', value: limit.tps, p99: limit.latency_ms.p99, color: '#9c9c9c' });
    for (const row of rows) {
      const w = Math.max(1, Math.round((row.value / max) * barW));
      parts.push(`<text x="10" y="${y + 15}">${esc(row.label)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${row.color}"/>`);
      parts.push(`<text x="${labelW + w + 6}" y="${y + 15}">${row.value} req/s · p99 ${fmt(row.p99)} ms</text>`);
      y += rowH;
    }
    y += 18;
  }
  const width = labelW + barW + 190;
  const height = y + 20;
  const title = `PUT …/rtif, GET variables and connections, ${results.settings.connections} connections, ${results.settings.seconds} s per run (${esc(results.machine.cpus)} CPUs)`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="13" font-weight="bold">${title}</text>`,
    ...parts,
    `<text x="10" y="${height - 8}" fill="#666">${esc(results.finished_at)} · generated by npm run bench</text>`,
    '</svg>',
    '',
  ].join('\n');
}
