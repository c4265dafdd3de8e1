// Open-loop load: requests at a fixed arrival rate, each latency measured from its scheduled send time.
//
// Why a generator of our own: autocannon (and its `overallRate`) and wrk are closed-loop per
// connection: a slow answer delays the next send, so queueing never shows in their latencies
// (coordinated omission). wrk2 corrects for it but is not packaged for Debian; npm's `loadtest`
// has a requests-per-second mode but times each request from when it was actually sent. This one
// sends on schedule whether or not earlier requests have answered, over at most `connections`
// keep-alive sockets (node:http's Agent queues the rest), and measures from the schedule, so a
// request that waited for a socket is charged for the wait.
import { Agent, request } from 'node:http';
import { requestHeaders, signToken } from './service.mjs';
import { SENT_BODIES } from './workload.mjs';

/**
 * PUT /execution/task-instances/{id}/rtif at `rate` requests per second for `seconds`, on task
 * instances picked at random, the body variants in turn. Bounded: the schedule ends after
 * `seconds`, at most `rate × 2` requests wait for a socket at once (beyond that a scheduled request
 * is counted as `dropped`, not sent), and answers still missing `drainSeconds` after the schedule's
 * end are counted as `timeouts` and their sockets destroyed. Returns the figures and which task
 * instances were sent a write and which were acknowledged (for the integrity check).
 */
export async function driveOpenLoop({ baseUrl, ids, rate, seconds, connections, bodies = SENT_BODIES, sign = signToken, drainSeconds = 10 }) {
  const url = new URL(baseUrl);
  const headersOf = new Map();
  for (const id of ids) headersOf.set(id, requestHeaders(await sign(id, 'execution')));
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const latencies = new Float64Array(total);
  const sent = new Set();
  const acked = new Set();
  const statusCodes = {};
  let answered = 0;
  let errors = 0;
  let dropped = 0;
  let pending = 0;
  let lastAnswerAt = 0;
  const maxPending = Math.max(connections, Math.ceil(rate * 2));
  const open = new Set();

  const fire = (scheduledAt, counter) => {
    if (pending >= maxPending) {
      dropped++;
      return;
    }
    const ti = ids[Math.floor(Math.random() * ids.length)];
    const body = bodies[counter % bodies.length];
    sent.add(ti);
    pending++;
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: `/execution/task-instances/${ti}/rtif`,
        headers: { ...headersOf.get(ti), 'content-length': Buffer.byteLength(body) },
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const now = performance.now();
          open.delete(req);
          pending--;
          latencies[answered++] = now - scheduledAt;
          lastAnswerAt = now;
          statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 200 && res.statusCode < 300) acked.add(ti);
        });
      },
    );
    open.add(req);
    req.on('error', () => {
      if (!open.delete(req)) return;
      pending--;
      errors++;
    });
    req.end(body);
  };

  const start = performance.now();
  let next = 0;
  // Every tick sends what is due; a tick that comes late (a busy event loop) sends its backlog at
  // once, and their latencies still count from when each was due.
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        fire(start + next * intervalMs, next);
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(5, start + next * intervalMs - performance.now())));
    };
    tick();
  });
  const scheduleEnd = performance.now();
  const drainDeadline = scheduleEnd + drainSeconds * 1000;
  while (pending > 0 && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 10));
  const timeouts = open.size;
  for (const req of open) req.destroy();
  agent.destroy();

  const sorted = latencies.slice(0, answered).sort();
  const pct = (p) => (answered ? Math.round(sorted[Math.min(answered - 1, Math.floor((p / 100) * answered))] * 10) / 10 : null);
  const mean = answered ? Math.round((sorted.reduce((a, b) => a + b, 0) / answered) * 10) / 10 : null;
  // Achieved: answers over the span from the first scheduled send to the last answer.
  const spanSeconds = Math.max(seconds, ((lastAnswerAt || scheduleEnd) - start) / 1000);
  return {
    sent,
    acked,
    figures: {
      tool: 'bench/lib/open-loop.mjs (node:http, latency from the scheduled send time)',
      target_rps: Math.round(rate),
      achieved_rps: Math.round(answered / spanSeconds),
      scheduled: total,
      answered,
      latency_ms: { p50: pct(50), p90: pct(90), p99: pct(99), max: answered ? Math.round(sorted[answered - 1] * 10) / 10 : null, mean },
      p99_per_mean: mean ? Math.round((pct(99) / mean) * 100) / 100 : null,
      status_codes: statusCodes,
      errors,
      dropped,
      timeouts,
    },
  };
}

/**
 * The open-loop run that follows a closed-loop saturation run of an RTIF shape: `share` (0.7) of the
 * req/s it measured, for `seconds`, on the same task instances and connection count. Undefined when
 * `seconds` is 0 or nothing was measured.
 */
export async function openLoopAfter(closedRps, { baseUrl, ids, seconds, share, connections, sign }) {
  if (!(seconds > 0) || !(closedRps > 0)) return undefined;
  return driveOpenLoop({ baseUrl, ids, rate: closedRps * share, seconds, connections, sign });
}

/** The writes of a closed-loop run and of the open-loop run after it, for one integrity check over both. */
export function mergeWrites(drive, openLoop) {
  if (!openLoop) return drive;
  return { sent: new Set([...drive.sent, ...openLoop.sent]), acked: new Set([...drive.acked, ...openLoop.acked]) };
}
