import { EntityManager } from '@mikro-orm/postgresql';
import { Controller, Headers, Injectable, Module, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Endpoint } from '../../src/common/openapi/endpoint.decorator';
import { UnitOfWork } from '../../src/common/unit-of-work/unit-of-work.decorator';

/**
 * Routes mounted only in tests (`startTestApp({ imports: [FaultRoutesModule] })`) that provoke
 * each database failure for real on scratch tables created by `FAULT_TABLES_SQL`. A test decides
 * what happens on attempt k through `FaultScript`: every route awaits the script's hook at the
 * point where a concurrent transaction must act (between a read and a write, between two locks).
 */

/** Scratch tables; the test creates them, migrations never do. Every constraint is named. */
export const FAULT_TABLES_SQL = `
  create table if not exists fault_item (
    id serial constraint fault_item_pkey primary key,
    name text not null constraint fault_item_name_key unique
  );
  create table if not exists fault_counter (id int constraint fault_counter_pkey primary key, v int not null);
  create table if not exists fault_lock (id int constraint fault_lock_pkey primary key);
  create table if not exists fault_parent (id int constraint fault_parent_pkey primary key);
  create table if not exists fault_child (
    id serial constraint fault_child_pkey primary key,
    parent_id int not null constraint fault_child_parent_fk references fault_parent (id),
    n int not null default 0 constraint fault_child_n_check check (n >= 0)
  );
`;

/** Header naming the test's script for a request. */
export const FAULT_RUN_HEADER = 'x-fault-run';

/** What a route saw on one attempt: enough to prove each attempt ran on its own fork and transaction. */
export interface AttemptRecord {
  /** 1 for the first run of the handler in this request, 2 for its first retry, ... */
  attempt: number;
  correlationId: string;
  /** Id of the EntityManager the injected `EntityManager` resolved to. */
  forkId: number;
  /** Entities in that EntityManager's identity map when the attempt started. */
  identityMapSize: number;
  /** Backend process id of the attempt's connection. */
  pid: number;
  /** Top-level transaction id: equal ids would mean a savepoint inside one transaction. */
  txid: string;
  isolation: string;
  lockTimeout: string;
  /**
   * Other backends of this database inside a transaction when the attempt started. Tests run one
   * request at a time where they read it, so 0 means this request holds one transaction, not a
   * second one opened around it by a nested unit of work.
   */
  otherTransactions: number;
}

export type FaultPoint = 'before_insert' | 'after_read' | 'after_first_lock' | 'before_lock';

export type FaultHook = (point: FaultPoint, attempt: AttemptRecord) => Promise<void> | void;

@Injectable()
export class FaultScript {
  private readonly hooks = new Map<string, FaultHook>();
  private readonly records = new Map<string, AttemptRecord[]>();

  /** Sets what happens in requests that carry `x-fault-run: run`. */
  on(run: string, hook: FaultHook): void {
    this.hooks.set(run, hook);
  }

  /** Every attempt of every request of `run`, in order. */
  attempts(run: string): AttemptRecord[] {
    return [...(this.records.get(run) ?? [])];
  }

  /** Attempts grouped per request (correlation id), in order. */
  attemptsPerRequest(run: string): Map<string, AttemptRecord[]> {
    const grouped = new Map<string, AttemptRecord[]>();
    for (const r of this.attempts(run)) grouped.set(r.correlationId, [...(grouped.get(r.correlationId) ?? []), r]);
    return grouped;
  }

  /** Records the start of an attempt; its first query also fixes a REPEATABLE READ snapshot. */
  async enter(run: string, req: Request, em: EntityManager): Promise<AttemptRecord> {
    const context = em.getContext();
    const identityMapSize = context.getUnitOfWork().getIdentityMap().values().length;
    const [row] = await em.execute<{ pid: number; txid: string; isolation: string; lock_timeout: string; others: number }[]>(
      `select pg_backend_pid() as pid, txid_current()::text as txid,
              current_setting('transaction_isolation') as isolation, current_setting('lock_timeout') as lock_timeout,
              (select count(*)::int from pg_stat_activity
                where datname = current_database() and xact_start is not null and pid <> pg_backend_pid()) as others`,
    );
    const list = this.records.get(run) ?? [];
    this.records.set(run, list);
    const record: AttemptRecord = {
      attempt: list.filter((r) => r.correlationId === req.correlationId).length + 1,
      correlationId: req.correlationId ?? '',
      forkId: context.id,
      identityMapSize,
      pid: row.pid,
      txid: row.txid,
      isolation: row.isolation,
      lockTimeout: row.lock_timeout,
      otherTransactions: row.others,
    };
    list.push(record);
    return record;
  }

  async at(run: string, point: FaultPoint, attempt: AttemptRecord): Promise<void> {
    await this.hooks.get(run)?.(point, attempt);
  }
}

interface Written {
  created: boolean;
  attempt: number;
}

const DOC = { summary: 'Test-only fault route', success: { status: 201, description: 'Done.' } };

/** Find-then-insert, racy on purpose: two requests can both find nothing and both insert. */
async function findThenInsert(script: FaultScript, em: EntityManager, run: string, req: Request, name: string): Promise<Written> {
  // The unique-violation policies are what these routes exercise. Under DB_ISOLATION=serializable
  // PostgreSQL reports this race as 40001 (the read saw no row) before the insert can violate the
  // key, and the retry then finds the row: pin read committed so that both suite runs test the
  // same thing (serializable-specific behaviour has its own tests in serializable.e2e-spec.ts).
  await em.execute('set transaction isolation level read committed');
  const rec = await script.enter(run, req, em);
  const found = await em.execute('select id from fault_item where name = ?', [name]);
  if (found.length > 0) return { created: false, attempt: rec.attempt };
  await script.at(run, 'before_insert', rec);
  await em.execute('insert into fault_item (name) values (?)', [name]);
  return { created: true, attempt: rec.attempt };
}

@Controller('test/faults')
export class FaultRoutesController {
  constructor(
    private readonly em: EntityManager,
    private readonly script: FaultScript,
  ) {}

  @Post('racy/retry/:name')
  @UnitOfWork({ idempotent: true })
  @Endpoint({ ...DOC, operationId: 'fault_racy_retry' })
  racyRetry(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('name') name: string): Promise<Written> {
    return findThenInsert(this.script, this.em, run, req, name);
  }

  @Post('racy/conflict/:name')
  @UnitOfWork({ idempotent: false, constraints: { fault_item_name_key: { conflict: 'already_exists' } } })
  @Endpoint({ ...DOC, operationId: 'fault_racy_conflict' })
  racyConflict(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('name') name: string): Promise<Written> {
    return findThenInsert(this.script, this.em, run, req, name);
  }

  /** A conflict route that maps no constraint: the 409 names the constraint, with no values. */
  @Post('racy/unmapped/:name')
  @UnitOfWork({ idempotent: false })
  @Endpoint({ ...DOC, operationId: 'fault_racy_unmapped' })
  racyUnmapped(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('name') name: string): Promise<Written> {
    return findThenInsert(this.script, this.em, run, req, name);
  }

  /**
   * A handler that catches a database error and carries on: it writes `name`, then inserts
   * `existing` again (a unique violation, or a foreign-key violation when `kind` is `fk`), swallows
   * the error and answers success. PostgreSQL has aborted the transaction by then; the unit of
   * work must not answer 201.
   */
  @Post('swallow/:kind/:name/:existing')
  @UnitOfWork({ idempotent: false })
  @Endpoint({ ...DOC, operationId: 'fault_swallow' })
  async swallow(@Param('kind') kind: string, @Param('name') name: string, @Param('existing') existing: string): Promise<{ swallowed: string }> {
    await this.em.execute('insert into fault_item (name) values (?)', [name]);
    try {
      if (kind === 'fk') await this.em.execute('insert into fault_child (parent_id) values (?)', [-1]);
      else await this.em.execute('insert into fault_item (name) values (?)', [existing]);
    } catch (error) {
      return { swallowed: (error as { code?: string }).code ?? 'unknown' };
    }
    return { swallowed: 'nothing' };
  }

  /**
   * The legitimate way to recover from an expected database error: a nested `em.transactional`
   * (a savepoint) around the statement that may fail. The handler writes `<name>_a`, tries to
   * insert `existing` again inside the savepoint, catches the unique violation, then writes
   * `<name>_b`; the transaction is healthy and commits.
   */
  @Post('savepoint/:name/:existing')
  @UnitOfWork({ idempotent: false })
  @Endpoint({ ...DOC, operationId: 'fault_savepoint' })
  async savepoint(@Param('name') name: string, @Param('existing') existing: string): Promise<{ recovered: string }> {
    await this.em.execute('insert into fault_item (name) values (?)', [`${name}_a`]);
    let recovered = 'nothing';
    try {
      await this.em.transactional((inner) => inner.execute('insert into fault_item (name) values (?)', [existing]));
    } catch (error) {
      recovered = (error as { code?: string }).code ?? 'unknown';
    }
    await this.em.execute('insert into fault_item (name) values (?)', [`${name}_b`]);
    return { recovered };
  }

  /** No policy at all: nobody said what a unique violation means here, so it is a bug (500). */
  @Post('racy/no-policy/:name')
  @Endpoint({ ...DOC, operationId: 'fault_racy_no_policy', errors: [{ status: 500, description: 'Bug.' }] })
  async racyNoPolicy(@Param('name') name: string): Promise<Written> {
    await this.em.execute('insert into fault_item (name) values (?)', [name]);
    return { created: true, attempt: 1 };
  }

  /**
   * REPEATABLE READ read-modify-write: when another transaction updates the row between the read
   * and the write, PostgreSQL answers 40001 (could not serialize access due to concurrent update).
   */
  @Post('counters/:id/increment')
  @UnitOfWork({ idempotent: true })
  @Endpoint({ ...DOC, operationId: 'fault_counter_increment' })
  async increment(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('id') id: string): Promise<Written & { isolation: string }> {
    // Allowed here: the runner's `set local lock_timeout` is not a query that fixes a snapshot.
    await this.em.execute('set transaction isolation level repeatable read');
    const rec = await this.script.enter(run, req, this.em);
    await this.em.execute('select v from fault_counter where id = ?', [Number(id)]);
    await this.script.at(run, 'after_read', rec);
    await this.em.execute('update fault_counter set v = v + 1 where id = ?', [Number(id)]);
    return { created: false, attempt: rec.attempt, isolation: rec.isolation };
  }

  /** Locks row a, then row b: a test connection holding b and asking for a makes a deadlock. */
  @Post('locks/:a/then/:b')
  @UnitOfWork({ idempotent: true, maxAttempts: 2 })
  @Endpoint({ ...DOC, operationId: 'fault_lock_two' })
  async lockTwo(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('a') a: string, @Param('b') b: string): Promise<Written> {
    const rec = await this.script.enter(run, req, this.em);
    await this.em.execute('select id from fault_lock where id = ? for update', [Number(a)]);
    await this.script.at(run, 'after_first_lock', rec);
    await this.em.execute('select id from fault_lock where id = ? for update', [Number(b)]);
    return { created: false, attempt: rec.attempt };
  }

  /** Locks one row: a test connection holding it makes the route wait until `lock_timeout` (55P03). */
  @Post('locks/:id')
  @UnitOfWork({ idempotent: true })
  @Endpoint({ ...DOC, operationId: 'fault_lock_one' })
  async lockOne(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('id') id: string): Promise<Written & { lockTimeout: string }> {
    const rec = await this.script.enter(run, req, this.em);
    await this.script.at(run, 'before_lock', rec);
    await this.em.execute('select id from fault_lock where id = ? for update', [Number(id)]);
    return { created: false, attempt: rec.attempt, lockTimeout: rec.lockTimeout };
  }

  /** Inserts a child row; on a retrying route, to show integrity errors are still never retried. */
  @Post('children/:parent/:n')
  @UnitOfWork({ idempotent: true })
  @Endpoint({ ...DOC, operationId: 'fault_child_insert' })
  async insertChild(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('parent') parent: string, @Param('n') n: string): Promise<Written> {
    const rec = await this.script.enter(run, req, this.em);
    // 'null' and non-numeric texts reach PostgreSQL as they are: it is the one rejecting them.
    await this.em.execute('insert into fault_child (parent_id, n) values (?::int, ?::int)', [parent === 'null' ? null : parent, n]);
    return { created: true, attempt: rec.attempt };
  }
}

/**
 * A controller-level policy (conflict) with one handler overriding it (retry). Both levels
 * register the interceptor, so the override handler also proves that they do not nest.
 */
@Controller('test/faults/class')
@UnitOfWork({ idempotent: false })
export class FaultClassPolicyController {
  constructor(
    private readonly em: EntityManager,
    private readonly script: FaultScript,
  ) {}

  @Post('inherits/:name')
  @Endpoint({ ...DOC, operationId: 'fault_class_inherits' })
  async inherits(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('name') name: string): Promise<Written> {
    const rec = await this.script.enter(run, req, this.em);
    await this.em.execute('insert into fault_item (name) values (?)', [name]);
    return { created: true, attempt: rec.attempt };
  }

  @Post('overrides/:name')
  @UnitOfWork({ idempotent: true })
  @Endpoint({ ...DOC, operationId: 'fault_class_overrides' })
  async overrides(@Headers(FAULT_RUN_HEADER) run: string, @Req() req: Request, @Param('name') name: string): Promise<Written> {
    const rec = await this.script.enter(run, req, this.em);
    await this.em.execute('insert into fault_item (name) values (?)', [name]);
    return { created: true, attempt: rec.attempt };
  }
}

@Module({
  controllers: [FaultRoutesController, FaultClassPolicyController],
  providers: [FaultScript],
})
export class FaultRoutesModule {}
