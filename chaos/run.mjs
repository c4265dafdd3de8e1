// The chaos suite: N service processes (node:cluster) → a stallable TCP proxy → PgBouncer
// (transaction pooling) → Debian's PostgreSQL 15, all on 127.0.0.1, under steady RTIF, XCom and
// lifecycle load; five faults injected in turn, then the client-side ledger checked row by row.
//   npm run chaos                       the full form (3 processes, 24 load loops, ~3 min of faults)
//   npm run chaos -- --short            the form CI runs (2 processes, 8 loops, ~1 min of faults)
//   npm run chaos -- --json <file>      also write a jest-style report (counted by .ci/run)
//   npm run chaos -- --hold <s>         how long each fault lasts (default 5, short form 3; at most 60)
// Exit code 0 when every fault passed: every request answered with a 2xx, a 503 with Retry-After
// or a typed 4xx, no 500, the service back to all-2xx after the fault, and no acknowledged write
// lost or altered.
import '../bench/lib/pinned-node.mjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureDatabaseTools, PG_BIN, removeDir, startPgBouncer, startPostgres } from '../bench/lib/databases.mjs';
import { signToken, startService } from '../bench/lib/service.mjs';
import { asPostgres, log, run, sleep } from '../bench/lib/system.mjs';
import { ALLOWED, checkLedger, createLoad } from './lib/load.mjs';
import { startStallProxy } from './lib/stall-proxy.mjs';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    json: { type: 'string' },
    processes: { type: 'string' },
    loops: { type: 'string' },
    hold: { type: 'string' },
  },
});
const SHORT = values.short;
const PROCESSES = Math.min(Number(values.processes ?? (SHORT ? 2 : 3)), 8);
const LOOPS = Math.min(Number(values.loops ?? (SHORT ? 8 : 24)), 64);
/** Seconds of steady load before each fault, of the fault itself, and after it is lifted. */
const WINDOW = {
  ...(SHORT ? { before: 2, hold: 3, after: 6 } : { before: 4, hold: 5, after: 12 }),
  ...(values.hold ? { hold: Math.min(Number(values.hold), 60) } : {}),
};
/** The statement_timeout path: statements bounded at 1 s, below the 3 s lock_timeout, so a lock wait ends as 57014. */
const STATEMENT_TIMEOUT_MS = 1000;
const LOCK_TIMEOUT_MS = 3000;

/** Size of the filesystem the disk-full fault fills (a tmpfs: the suite needs root to mount it). */
const DISK_FULL_MIB = 32;

/**
 * A real full disk, not a simulated error: a tmpfs mounted for the postgres user holds a tablespace
 * to which the xcom and RTIF tables move before the load starts (their indexes stay on the main
 * disk). `fill()` inserts uncompressed rows into a filler table in that tablespace until PostgreSQL
 * itself reports 53100 disk_full; `free()` drops it, which unlinks its files at commit.
 */
async function prepareDiskFull(pgServer) {
  const mountPoint = join(pgServer.dir, 'small-disk');
  mkdirSync(mountPoint);
  run('mount', ['-t', 'tmpfs', '-o', `size=${DISK_FULL_MIB}m,uid=${run('id', ['-u', 'postgres']).trim()},mode=0700`, 'tmpfs', mountPoint]);
  let mounted = true;
  const handle = {
    unmount() {
      if (!mounted) return;
      mounted = false;
      try {
        run('umount', [mountPoint]);
      } catch (error) {
        log(`could not unmount ${mountPoint}: ${error.message}`);
      }
    },
  };
  // Assigned before any statement runs, so that a failure below still unmounts it.
  diskFull = handle;
  const withClient = async (fn) => {
    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  await withClient(async (c) => {
    await c.query(`create tablespace chaos_small location '${mountPoint}'`);
    await c.query('alter table xcom set tablespace chaos_small');
    await c.query('alter table rendered_task_instance_fields set tablespace chaos_small');
    await c.query('create table chaos_filler (pad text) with (autovacuum_enabled = off) tablespace chaos_small');
    // Plain storage: no compression and no TOAST, so each row really takes its 1.6 KB.
    await c.query('alter table chaos_filler alter column pad set storage plain');
  });
  return Object.assign(handle, {
    async fill() {
      await withClient(async (c) => {
        for (let i = 0; i < 1000; i++) {
          try {
            await c.query(
              `insert into chaos_filler select string_agg(md5(random()::text || g || s), '') from generate_series(1, 50) s, generate_series(1, 500) g group by g`,
            );
          } catch (error) {
            if (error.code === '53100') return;
            throw error;
          }
        }
        throw new Error('the small disk never filled up');
      });
    },
    // Not TRUNCATE: it needs a new (empty) file in the full tablespace first and fails with 53100 itself.
    free: () => withClient((c) => c.query('drop table chaos_filler')),
  });
}

async function waitFor(predicate, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (predicate()) return true;
    await sleep(100);
  }
  return predicate();
}

const root = new URL('..', import.meta.url).pathname;
const reportDir = join(root, '.data/chaos');
mkdirSync(reportDir, { recursive: true });
const tests = [];
const record = (name, failures) => {
  tests.push({ name, status: failures.length === 0 ? 'passed' : 'failed', failureMessages: failures });
  log(`${failures.length === 0 ? 'PASS' : 'FAIL'} ${name}${failures.length ? `: ${failures.join('; ')}` : ''}`);
};

let pgServer, bouncer, proxy, service, diskFull;
try {
  log('building (nest build)');
  run(join(root, 'node_modules/.bin/nest'), ['build'], { cwd: root });
  ensureDatabaseTools();
  pgServer = await startPostgres();
  const pgData = join(pgServer.dir, 'data');
  const pgCtl = (args) => run(...asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', pgData, ...args]));
  const pgStart = () =>
    pgCtl([
      '-l',
      join(pgServer.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${pgServer.port} -k ${pgServer.dir} -c listen_addresses=127.0.0.1 -c max_connections=300`,
      'start',
    ]);
  const poolMax = 10;
  const bouncerPool = 20;
  bouncer = await startPgBouncer(pgServer, { poolSize: bouncerPool });
  proxy = await startStallProxy({ host: '127.0.0.1', port: bouncer.port });
  const serviceUrl = new URL(bouncer.url);
  serviceUrl.port = String(proxy.port);
  service = await startService({
    root,
    processes: PROCESSES,
    databaseUrl: serviceUrl.toString(),
    migrationUrl: pgServer.url,
    poolMax,
    logPath: join(reportDir, 'service.log'),
    env: { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS) },
  });

  /** The faults, in turn: `inject` starts one, `restore` lifts it (after WINDOW.hold seconds). */
  let lockClient;
  diskFull = await prepareDiskFull(pgServer);
  const faults = [
    {
      name: 'PostgreSQL fast stop and restart',
      how: `\`pg_ctl stop -m fast\`, down ${WINDOW.hold} s, \`pg_ctl start\``,
      inject: () => pgCtl(['-m', 'fast', '-w', 'stop']),
      restore: () => pgStart(),
    },
    {
      name: 'PgBouncer restart',
      how: `SIGTERM to PgBouncer, down ${WINDOW.hold} s, started again on the same port`,
      inject: () => bouncer.stop(),
      restore: async () => {
        bouncer = await startPgBouncer(pgServer, { poolSize: bouncerPool, port: bouncer.port });
      },
    },
    {
      name: 'SIGKILL of one worker process',
      how: 'SIGKILL to one of the cluster workers (the primary forks a new one after 1 s)',
      inject: () => process.kill(service.workerPids[0], 'SIGKILL'),
      restore: () => {},
      hold: 0,
    },
    {
      name: 'network stall service ↔ database',
      how: `the TCP proxy in front of PgBouncer forwards nothing for ${WINDOW.hold} s (no reset)`,
      inject: () => proxy.pause(),
      restore: () => proxy.resume(),
    },
    {
      name: 'statement_timeout path',
      how: `\`DB_STATEMENT_TIMEOUT_MS=${STATEMENT_TIMEOUT_MS}\`; \`ACCESS EXCLUSIVE\` locks on task_instance, rendered_task_instance_fields and xcom held ${WINDOW.hold} s from a direct connection`,
      inject: async () => {
        lockClient = new pg.Client({ connectionString: pgServer.url });
        await lockClient.connect();
        await lockClient.query('begin');
        await lockClient.query('lock table task_instance, rendered_task_instance_fields, xcom in access exclusive mode');
      },
      restore: async () => {
        await lockClient.query('rollback');
        await lockClient.end();
      },
    },
    {
      name: 'disk full',
      how: `xcom and rendered_task_instance_fields live in a tablespace on a ${DISK_FULL_MIB} MiB tmpfs; a filler table takes the rest until PostgreSQL answers 53100 disk_full, dropped after ${WINDOW.hold} s`,
      inject: () => diskFull.fill(),
      bites: (a) => a.reason === 'database_unavailable',
      restore: () => diskFull.free(),
    },
  ];

  const warmup = SHORT ? 2 : 4;
  const phaseSeconds = (f) => WINDOW.before + (f.hold ?? WINDOW.hold) + WINDOW.after;
  const loadSeconds = warmup + faults.reduce((sum, f) => sum + phaseSeconds(f), 0);
  // The hard bound leaves room for slow injections (PostgreSQL start-up, filling the disk).
  const deadline = Date.now() + (loadSeconds + 120) * 1000;
  const load = createLoad({
    baseUrl: service.baseUrl,
    adminToken: await signToken('chaos-admin', 'admin'),
    tag: Date.now().toString(36),
    loops: LOOPS,
    deadline,
  });
  log(
    `load: ${LOOPS} loops for ~${loadSeconds} s (at most ${loadSeconds + 120} s) against ${PROCESSES} processes; faults: ${faults.map((f) => f.name).join(', ')}`,
  );
  const loadDone = load.run(SHORT ? 400 : 2000);

  await sleep(warmup * 1000);
  const phases = [];
  for (const f of faults) {
    const phase = { fault: f, start: Date.now() };
    await sleep(WINDOW.before * 1000);
    phase.injectedAt = Date.now();
    await f.inject();
    if (f.bites) {
      // A fault that only bites when the service next needs the resource (a new page on a full
      // disk): wait until it has refused a request, at most 30 s, then hold it as long as the others.
      const bitten = await waitFor(() => load.answers.some((a) => a.at > phase.injectedAt && f.bites(a)), 30_000);
      if (!bitten) phase.neverBit = true;
    }
    await sleep((f.hold ?? WINDOW.hold) * 1000);
    await f.restore();
    phase.restoredAt = Date.now();
    log(`${f.name}: injected, lifted after ${((phase.restoredAt - phase.injectedAt) / 1000).toFixed(1)} s`);
    await sleep(WINDOW.after * 1000);
    phase.end = Date.now();
    phases.push(phase);
  }
  load.stop();
  await loadDone;
  log(`load finished: ${load.answers.length} answers, ${load.ledger.size} task instances`);

  const rows = [];
  for (const p of phases) {
    const inPhase = load.answers.filter((a) => a.at >= p.start && a.at < p.end);
    const counts = {};
    for (const a of inPhase) counts[a.outcome] = (counts[a.outcome] ?? 0) + 1;
    const afterRestore = inPhase.filter((a) => a.at >= p.restoredAt);
    const lastBad = afterRestore.filter((a) => a.outcome !== 'ok').at(-1);
    const lastOk = afterRestore.filter((a) => a.outcome === 'ok').at(-1);
    const recovered = lastOk !== undefined && (lastBad === undefined || lastOk.at > lastBad.at);
    const recoveryMs = lastBad ? lastBad.at - p.restoredAt : 0;
    const reasons = {};
    for (const a of inPhase) if (a.outcome !== 'ok') reasons[a.reason] = (reasons[a.reason] ?? 0) + 1;
    const slowest = inPhase.reduce((max, a) => Math.max(max, a.ms), 0);
    const failures = [];
    for (const [outcome, n] of Object.entries(counts)) if (!ALLOWED.has(outcome)) failures.push(`${n} × ${outcome}`);
    // A reset is a request the kernel or a dying process closed without an answer: only the killed worker may do that.
    if (counts.reset && !p.fault.name.startsWith('SIGKILL')) failures.push(`${counts.reset} requests reset without an answer`);
    if (!recovered) failures.push('no 2xx after the last failed answer: not recovered within the window');
    if (p.neverBit) failures.push('the fault never reached the service (no request refused within 30 s)');
    record(p.fault.name, failures);
    rows.push({
      fault: p.fault.name,
      how: p.fault.how,
      answers: inPhase.length,
      ok: counts.ok ?? 0,
      unavailable: counts.unavailable ?? 0,
      typed4xx: counts.typed_4xx ?? 0,
      status500: counts.status_500 ?? 0,
      reset: counts.reset ?? 0,
      other: inPhase.length - (counts.ok ?? 0) - (counts.unavailable ?? 0) - (counts.typed_4xx ?? 0) - (counts.status_500 ?? 0) - (counts.reset ?? 0),
      recoveryMs,
      lastedMs: p.restoredAt - p.injectedAt,
      reasons,
      slowest,
    });
  }
  const overall = {};
  for (const a of load.answers) overall[a.outcome] = (overall[a.outcome] ?? 0) + 1;
  const outside = Object.entries(overall).filter(([o]) => !ALLOWED.has(o));
  // Outside the SIGKILL window (warm-up included) a reset is an unanswered request.
  const killWindow = phases.find((p) => p.fault.name.startsWith('SIGKILL'));
  const strayResets = load.answers.filter((a) => a.outcome === 'reset' && !(a.at >= killWindow.start && a.at < killWindow.end)).length;
  record('whole run: no 500, no unanswered request, no 4xx except a retry settling a lost answer', [
    ...outside.map(([o, n]) => `${n} × ${o}`),
    ...(strayResets > 0 ? [`${strayResets} requests reset without an answer outside the SIGKILL window`] : []),
    ...load.unexpected.slice(0, 5).map((u) => `unexpected ${u.status} on ${u.op}: ${u.body}`),
  ]);

  const ledger = await checkLedger(pgServer.url, load.ledger);
  record(`ledger: ${ledger.ackedWrites} acknowledged writes on ${ledger.taskInstances} task instances`, ledger.problems.slice(0, 10));

  // The check itself must be able to fail: delete one acknowledged XCom and alter one acknowledged
  // RTIF row behind the service's back, and the same check must name both.
  const victim = [...load.ledger.values()].find((e) => e.rtif.length > 0 && e.xcoms.some((x) => x.acked));
  if (victim) {
    const direct = new pg.Client({ connectionString: pgServer.url });
    await direct.connect();
    try {
      await direct.query(`delete from xcom where dag_id = $1 and task_id = $2 and run_id = 'run' and key = $3`, [
        victim.dagId,
        victim.taskId,
        victim.xcoms.find((x) => x.acked).key,
      ]);
      await direct.query(
        `update rendered_task_instance_fields set rendered_fields = '{"altered": true}'::jsonb where dag_id = $1 and task_id = $2 and run_id = 'run'`,
        [victim.dagId, victim.taskId],
      );
    } finally {
      await direct.end();
    }
    const tampered = await checkLedger(pgServer.url, load.ledger);
    const named = tampered.problems.filter((m) => m.startsWith(victim.id));
    record(
      'ledger check names a deleted XCom and an altered RTIF row',
      tampered.problems.length === ledger.problems.length + 2 && named.length === 2
        ? []
        : [`expected 2 new problems on ${victim.id}, got ${JSON.stringify(tampered.problems.slice(0, 5))}`],
    );
  } else {
    record('ledger check names a deleted XCom and an altered RTIF row', ['no task instance with an acknowledged RTIF and XCom to tamper with']);
  }

  const table = [
    '| fault | injected as | answers | 2xx | 503 + Retry-After | typed 4xx | 500 | reset | other | non-2xx by reason | slowest answer | fault lasted | back to all-2xx after lifting |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.how} | ${r.answers} | ${r.ok} | ${r.unavailable} | ${r.typed4xx} | ${r.status500} | ${r.reset} | ${r.other} | ${
          Object.entries(r.reasons)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ') || '–'
        } | ${(r.slowest / 1000).toFixed(2)} s | ${(r.lastedMs / 1000).toFixed(1)} s | ${(r.recoveryMs / 1000).toFixed(2)} s |`,
    ),
  ].join('\n');
  console.log(`\n${table}\n`);
  console.log(
    `ledger: ${ledger.ackedWrites} acknowledged writes (state transitions, RTIF, XCom) on ${ledger.taskInstances} task instances checked row by row: ${ledger.problems.length} lost or altered`,
  );
  console.log(
    `setup: ${PROCESSES} processes (DB_POOL_MAX=${poolMax}) → stall proxy → PgBouncer (transaction, pool ${bouncerPool}) → PostgreSQL 15; ${LOOPS} load loops`,
  );
  writeFileSync(
    join(reportDir, 'last-run.json'),
    JSON.stringify({ short: SHORT, processes: PROCESSES, loops: LOOPS, window: WINDOW, rows, overall, ledger }, null, 2),
  );
} catch (error) {
  record('chaos suite ran to the end', [String(error?.stack ?? error)]);
} finally {
  await service?.stop().catch(() => {});
  await proxy?.close().catch(() => {});
  await bouncer?.stop().catch(() => {});
  pgServer?.stop();
  diskFull?.unmount();
  if (pgServer) removeDir(pgServer.dir);
}

const failed = tests.filter((t) => t.status === 'failed').length;
const report = {
  numPassedTests: tests.length - failed,
  numFailedTests: failed,
  numRuntimeErrorTestSuites: 0,
  testResults: [{ name: 'chaos', assertionResults: tests }],
};
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));
log(`${tests.length - failed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
