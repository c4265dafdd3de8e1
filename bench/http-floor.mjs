#!/usr/bin/env node
// `npm run bench:http-floor`: how the service's CPU per RTIF write splits between the HTTP side and
// the database side, measured under the bench's load (one process, 64 connections, 10 s per case,
// PostgreSQL 15 on the same host), three passes round-robin, medians:
//   probe          GET /health/live: Node's HTTP server, Express and Nest with the service's
//                  middleware (helmet, correlation id, metrics, drain tracking); no token, no
//                  body, no database, and no access-log line (probes log at debug)
//   refused write  PUT …/rtif with a valid execution token and an array body: everything a write
//                  goes through before the database (access line, token check, body parse, JSON
//                  guard, unit of work opened and ended, validation, the 422 problem) and no
//                  statement (BEGIN is deferred to the first one, so none is sent)
//   write          the RTIF write as `npm run bench` drives it (spread shape): the above plus the
//                  lookup, the upsert and COMMIT through MikroORM
// The write minus the refused write is what the database side costs the service under load.
// Writes docs/bench/http-floor.md and prints it.
import './lib/pinned-node.mjs';
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuModel, log, median, run, treeCpuSeconds } from './lib/system.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const PASSES = 3;
const workDir = join(root, '.data/bench');
mkdirSync(workDir, { recursive: true });

log('building (nest build)');
run(join(root, 'node_modules/.bin/nest'), ['build'], { cwd: root });
const { ensureDatabaseTools, removeDir, startPostgres } = await import('./lib/databases.mjs');
const { requestHeaders, seedTaskInstances, signToken, startService } = await import('./lib/service.mjs');
const { driveRtif, shapeTaskInstances, summarize } = await import('./lib/workload.mjs');
ensureDatabaseTools();

const pg = await startPostgres();
const rows = [];
try {
  const svc = await startService({
    root,
    processes: 1,
    databaseUrl: pg.url,
    migrationUrl: pg.url,
    poolMax: 10,
    logPath: join(workDir, 'service-http-floor.log'),
  });
  try {
    const ids = await seedTaskInstances(svc.baseUrl, shapeTaskInstances('spread', 'floor'));
    const token = await signToken(ids[0], 'execution');
    /** CPU ms of the service per answered request, requests per second and status codes, for one drive (an autocannon result). */
    const measure = async (drive) => {
      const cpu0 = treeCpuSeconds(svc.pid);
      const { requests, rps, status_codes: statuses } = summarize(await drive(), SECONDS);
      const cpu = treeCpuSeconds(svc.pid) - cpu0;
      return { ms: Math.round((cpu / requests) * 1e5) / 100, rps, statuses };
    };
    const cases = [
      {
        name: 'probe: GET /health/live (HTTP, Express, Nest, middleware)',
        expect: '200',
        drive: () => autocannon({ url: `${svc.baseUrl}/health/live`, connections: CONNECTIONS, duration: SECONDS }),
      },
      {
        name: 'refused write: PUT …/rtif, valid token, array body → 422 (no statement sent)',
        expect: '422',
        drive: () =>
          autocannon({
            url: `${svc.baseUrl}/execution/task-instances/${ids[0]}/rtif`,
            method: 'PUT',
            headers: requestHeaders(token),
            body: '[{"bash_command":"echo hello"}]',
            connections: CONNECTIONS,
            duration: SECONDS,
          }),
      },
      {
        name: 'write: PUT …/rtif, the bench body, spread over 1,000 task instances',
        expect: '201',
        drive: async () => (await driveRtif({ baseUrl: svc.baseUrl, ids, connections: CONNECTIONS, seconds: SECONDS })).result,
      },
    ];
    const runs = cases.map(() => []);
    // Round-robin, after one warm-up pass, so that a slow patch of a shared machine hits all cases alike.
    for (let pass = 0; pass <= PASSES; pass++) {
      for (let k = 0; k < cases.length; k++) {
        const m = await measure(cases[k].drive);
        const unexpected = Object.keys(m.statuses).filter((s) => s !== cases[k].expect);
        if (unexpected.length > 0) throw new Error(`${cases[k].name}: unexpected statuses ${JSON.stringify(m.statuses)}`);
        if (pass > 0) runs[k].push(m);
      }
      log(pass === 0 ? 'warm-up pass done' : `pass ${pass}/${PASSES} done`);
    }
    for (let k = 0; k < cases.length; k++)
      rows.push({ name: cases[k].name, ms: median(runs[k].map((r) => r.ms)), rps: median(runs[k].map((r) => r.rps)), passes: runs[k].map((r) => r.ms) });
  } finally {
    await svc.stop();
  }
} finally {
  pg.stop();
  removeDir(pg.dir);
}

const [probe, refused, write] = rows;
const md = [
  '# The RTIF write under load: HTTP side and database side',
  '',
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:http-floor\` (bench/http-floor.mjs): ${cpus().length} × ${cpuModel()}, Node ${process.version}, PostgreSQL 15 on the same host; one service process, ${CONNECTIONS} connections, ${SECONDS} s per case, ${PASSES} passes round-robin after a warm-up, medians. CPU is the service process's (user + system) over the requests it answered.`,
  '',
  '| case | service CPU ms per request | req/s | the passes (ms) |',
  '|---|---:|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${r.ms} | ${r.rps} | ${r.passes.join(', ')} |`),
  '',
  `The database side of a write costs the service ${Math.round((write.ms - refused.ms) * 100) / 100} ms (write − refused write); everything before it ${refused.ms} ms, of which the bare HTTP stack with the service's middleware is ${probe.ms} ms.`,
  '',
].join('\n');
writeFileSync(join(root, 'docs/bench/http-floor.md'), md);
process.stdout.write(`\n${md}\nwritten: docs/bench/http-floor.md\n`);
