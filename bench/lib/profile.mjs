// Where a --cpu-prof profile's time goes: self time by package and by function.
import { readFileSync } from 'node:fs';

function categoryOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal\/?/, 'node:');
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/dist/src/')) return 'service code (dist/src)';
  return url;
}

function frameName(callFrame) {
  const cat = categoryOf(callFrame.url, callFrame.functionName);
  const file = callFrame.url && !callFrame.url.startsWith('node:') ? `:${callFrame.url.split('/').pop()}:${callFrame.lineNumber + 1}` : '';
  return `${callFrame.functionName || '(anonymous)'} ${cat}${file}`;
}

/**
 * Self time per package (or node internal, or GC) and the hottest functions, in ms and %, over
 * the samples between `fromEndMs` and `toEndMs` milliseconds before the profile's end (the
 * measured run, without start-up, seeding and warm-up).
 */
export function summarizeProfile(path, { fromEndMs = Infinity, toEndMs = 0 } = {}, top = 15) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const selfUs = new Map();
  const inclusiveUs = new Map();
  const times = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const from = profile.endTime - fromEndMs * 1000;
  const to = profile.endTime - toEndMs * 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    if (times[i] < from || times[i] > to) continue;
    const id = profile.samples[i];
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    // Inclusive: every distinct frame on the sampled stack (recursion counted once).
    const seen = new Set();
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const { callFrame } = byId.get(at);
      const key = frameName(callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusiveUs.set(key, (inclusiveUs.get(key) ?? 0) + dt);
    }
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byCategory = new Map();
  const byFunction = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const cat = categoryOf(callFrame.url, callFrame.functionName);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
    const fn = frameName(callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const rows = (m, n = top) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((us / total) * 1000) / 10 }));
  const inclusive = rows(new Map([...inclusiveUs].filter(([name]) => !/^\((root|program)\)/.test(name))), 40);
  return { total_ms: Math.round(total / 1000), by_category: rows(byCategory), by_function: rows(byFunction), inclusive };
}

export function profileMarkdown(summary) {
  const table = (rows) =>
    ['| time | % | where |', '|---:|---:|---|', ...rows.map((r) => `| ${r.ms} ms | ${r.pct} | \`${r.name.replace(/\|/g, '\\|')}\` |`)].join('\n');
  return [
    `Sampled ${summary.total_ms} ms of the worker's main thread.`,
    '',
    '**By package / runtime part**',
    '',
    table(summary.by_category),
    '',
    '**Hottest functions (self time)**',
    '',
    table(summary.by_function),
    '',
    '**Frames by inclusive time (the frame and everything it called)**',
    '',
    table(summary.inclusive),
    '',
  ].join('\n');
}
