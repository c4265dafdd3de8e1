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
 * A `.cpuprofile`'s call tree and its samples between `fromEndMs` and `toEndMs` milliseconds before
 * the profile's end (the measured run, without start-up, seeding and warm-up), each sample with the
 * microseconds it stands for. Read once, then summarised (`summarizeProfile`) and drawn
 * (`flameGraphSvg`).
 */
export function readProfileWindow(path, { fromEndMs = Infinity, toEndMs = 0 } = {}) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const from = profile.endTime - fromEndMs * 1000;
  const to = profile.endTime - toEndMs * 1000;
  const samples = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    samples.push({ id: profile.samples[i], us: profile.timeDeltas[i + 1] ?? 0 });
  }
  return { byId, parentOf, samples };
}

/** Self time per package (or node internal, or GC) and the hottest functions, in ms and %, over a window's samples. */
export function summarizeProfile({ byId, parentOf, samples }, top = 15) {
  const selfUs = new Map();
  const inclusiveUs = new Map();
  for (const { id, us: dt } of samples) {
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

const escapeXml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A stable colour per package or runtime part, so one library reads as one hue across the graph. */
function colourOf(category) {
  if (category.startsWith('service code')) return 'hsl(120, 55%, 62%)';
  if (category.startsWith('(')) return 'hsl(0, 0%, 72%)';
  let h = 0;
  for (const c of category) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${(h % 60) + 10}, 75%, ${58 + (h % 3) * 6}%)`;
}

/**
 * A flame graph (SVG) of a window's samples (`readProfileWindow`): one box per call path, as wide as its inclusive time, callers below callees; frames of one
 * function under one caller are merged. Boxes under `minFraction` of the total are left out.
 * Hover a box for its function, file and time.
 */
export function flameGraphSvg({ byId, parentOf, samples }, { width = 1600, rowHeight = 16, minFraction = 0.002, title = 'CPU flame graph' } = {}) {
  // Merged call tree: root → children keyed by frame name.
  const root = { name: 'all', category: '(root)', us: 0, children: new Map() };
  for (const { id, us: dt } of samples) {
    const stack = [];
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const { callFrame } = byId.get(at);
      if (callFrame.functionName === '(root)') continue;
      stack.push(callFrame);
    }
    let node = root;
    root.us += dt;
    for (let k = stack.length - 1; k >= 0; k--) {
      const name = frameName(stack[k]);
      let child = node.children.get(name);
      if (!child) node.children.set(name, (child = { name, category: categoryOf(stack[k].url, stack[k].functionName), us: 0, children: new Map() }));
      child.us += dt;
      node = child;
    }
  }
  const boxes = [];
  let depth = 0;
  const lay = (node, x, level) => {
    depth = Math.max(depth, level);
    boxes.push({ node, x, level });
    let cx = x;
    for (const child of [...node.children.values()].sort((a, b) => b.us - a.us)) {
      if (child.us / root.us < minFraction) continue;
      lay(child, cx, level + 1);
      cx += child.us;
    }
  };
  lay(root, 0, 0);
  const scale = width / Math.max(1, root.us);
  const height = (depth + 1) * rowHeight + 40;
  const rects = boxes.map(({ node, x, level }) => {
    const w = node.us * scale;
    const y = height - (level + 1) * rowHeight - 4;
    const label = w > 40 ? node.name.slice(0, Math.floor(w / 6.5)) : '';
    const ms = (node.us / 1000).toFixed(0);
    const pct = ((node.us / root.us) * 100).toFixed(1);
    return `<g><title>${escapeXml(`${node.name} — ${ms} ms, ${pct} %`)}</title><rect x="${(x * scale).toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${rowHeight - 1}" fill="${colourOf(node.category)}"/>${label ? `<text x="${(x * scale + 3).toFixed(1)}" y="${y + rowHeight - 4}">${escapeXml(label)}</text>` : ''}</g>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="4" y="16" font-size="13">${escapeXml(title)} (${(root.us / 1000).toFixed(0)} ms sampled; hover a box for its time)</text>`,
    ...rects,
    '</svg>',
    '',
  ].join('\n');
}
