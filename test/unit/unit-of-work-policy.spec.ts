import { ConflictException } from '@nestjs/common';
import { DomainError } from '../../src/common/problem/domain-error';
import { IdempotencyKey } from '../../src/common/idempotency-keys/idempotency-key.decorator';
import { IDEMPOTENCY_KEY_MODE, type IdempotencyKeyMode } from '../../src/common/idempotency-keys/idempotency-key.mode';
import { ReadUnitOfWork, UnitOfWork } from '../../src/common/unit-of-work/unit-of-work.decorator';
import { canConflict, UNIT_OF_WORK_POLICY, type UnitOfWorkOptions } from '../../src/common/unit-of-work/unit-of-work.policy';
import { decideAfterFailure } from '../../src/common/unit-of-work/unit-of-work.runner';

const pgError = (code: string, constraint?: string) => Object.assign(new Error('insert into x values (1)'), { code, constraint });

describe('@UnitOfWork options are validated when the decorator is applied', () => {
  it.each<[string, unknown, string]>([
    ['an unknown option (typo)', { idempotent: true, maxAttempt: 3 }, 'unknown option "maxAttempt"'],
    ['a missing idempotent', { constraints: {} }, '"idempotent" must be true or false'],
    ['a string idempotent', { idempotent: 'yes' }, '"idempotent" must be true or false'],
    ['maxAttempts 0', { idempotent: true, maxAttempts: 0 }, '"maxAttempts" must be an integer from 1 to 20'],
    ['maxAttempts 2.5', { idempotent: true, maxAttempts: 2.5 }, '"maxAttempts" must be an integer from 1 to 20'],
    ['a misspelt lockTimeout', { idempotent: true, lockTimeout: 'first_statement' }, `"lockTimeout" must be 'runner' or 'first-statement'`],
    ['a constraint name that cannot exist', { idempotent: false, constraints: { 'Task-Instance Key': 'retry' } }, 'is not a PostgreSQL constraint name'],
    ['a misspelt action', { idempotent: false, constraints: { dag_run_pkey: 'retyr' } }, "must map to 'retry' or { conflict: '<snake_case_reason>' }"],
    ['a reason that is not snake_case', { idempotent: false, constraints: { k: { conflict: 'Already Exists' } } }, "must map to 'retry'"],
    ['an extra key next to conflict', { idempotent: false, constraints: { k: { conflict: 'already_exists', status: 400 } } }, "must map to 'retry'"],
    ['no options', undefined, 'options must be an object'],
    ['the old key option, now @IdempotencyKey()', { idempotent: false, key: 'optional' }, 'unknown option "key"'],
    ['a misspelt reads', { idempotent: true, reads: 'replicas' }, `"reads" must be 'primary' or 'replica'`],
    [
      'a replica read with the locking-write optimisation',
      { idempotent: true, reads: 'replica', lockTimeout: 'first-statement' },
      `"reads: 'replica'" is for reads`,
    ],
    ['a replica read that is not idempotent', { idempotent: false, reads: 'replica' }, `"reads: 'replica'" needs "idempotent: true"`],
  ])('%s throws at decoration time', (_, options, message) => {
    const decorate = () => {
      class Controller {
        @UnitOfWork(options as UnitOfWorkOptions)
        handler(): void {}
      }
      return Controller;
    };
    expect(decorate).toThrow(TypeError);
    expect(decorate).toThrow(message);
  });

  it('stores a frozen policy on the handler', () => {
    class Controller {
      @UnitOfWork({ idempotent: false, constraints: { task_instance_composite_key: { conflict: 'already_exists' } } })
      create(): void {}
    }
    const policy = Reflect.getMetadata(UNIT_OF_WORK_POLICY, Controller.prototype.create);
    expect(policy).toEqual({ idempotent: false, constraints: { task_instance_composite_key: { conflict: 'already_exists' } } });
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('canConflict: only a non-idempotent route or a constraint mapped to a conflict can answer 409', () => {
    expect(canConflict({ idempotent: true })).toBe(false);
    expect(canConflict({ idempotent: true, constraints: { a: 'retry' } })).toBe(false);
    expect(canConflict({ idempotent: true, constraints: { a: { conflict: 'already_exists' } } })).toBe(true);
    expect(canConflict({ idempotent: false, constraints: {} })).toBe(true);
  });
});

describe('@IdempotencyKey() is checked against the unit of work when the second decorator is applied', () => {
  it('refuses a mode other than optional or required', () => {
    expect(() => IdempotencyKey('mandatory' as IdempotencyKeyMode)).toThrow("@IdempotencyKey(): mode must be 'optional' or 'required'");
  });

  it('refuses a key on an idempotent handler, whichever decorator runs first', () => {
    const keyBelow = () => {
      class Controller {
        @UnitOfWork({ idempotent: true })
        @IdempotencyKey('optional')
        handler(): void {}
      }
      return Controller;
    };
    const keyAbove = () => {
      class Controller {
        @IdempotencyKey('optional')
        @UnitOfWork({ idempotent: true })
        handler(): void {}
      }
      return Controller;
    };
    for (const decorate of [keyBelow, keyAbove]) expect(decorate).toThrow('@IdempotencyKey() is for routes with @UnitOfWork({ idempotent: false })');
  });

  it('refuses a key under an idempotent class-level policy, and on a read-only unit of work', () => {
    const underClass = () => {
      @UnitOfWork({ idempotent: true })
      class Controller {
        @IdempotencyKey('required')
        handler(): void {}
      }
      return Controller;
    };
    expect(underClass).toThrow('Controller.handler: @IdempotencyKey() is for routes with @UnitOfWork({ idempotent: false })');
    const onRead = () => {
      class Controller {
        @ReadUnitOfWork()
        @IdempotencyKey('optional')
        handler(): void {}
      }
      return Controller;
    };
    expect(onRead).toThrow('@IdempotencyKey() is for routes with @UnitOfWork({ idempotent: false })');
  });

  it('stores the mode on the handler next to a non-idempotent policy, in either order', () => {
    class Controller {
      @UnitOfWork({ idempotent: false })
      @IdempotencyKey('required')
      create(): void {}

      @IdempotencyKey('optional')
      @UnitOfWork({ idempotent: false })
      trigger(): void {}
    }
    expect(Reflect.getMetadata(IDEMPOTENCY_KEY_MODE, Controller.prototype.create)).toBe('required');
    expect(Reflect.getMetadata(IDEMPOTENCY_KEY_MODE, Controller.prototype.trigger)).toBe('optional');
    expect(Reflect.getMetadata(UNIT_OF_WORK_POLICY, Controller.prototype.trigger)).toEqual({ idempotent: false, constraints: {} });
  });
});

describe('decideAfterFailure', () => {
  const idempotent = { idempotent: true };
  const create = { idempotent: false, constraints: { dag_run_pkey: 'retry' as const, task_instance_composite_key: { conflict: 'already_exists' } } };

  it.each(['40001', '40P01', '55P03'])('retries %s on every route', (code) => {
    for (const policy of [idempotent, create, { idempotent: false }]) {
      expect(decideAfterFailure(pgError(code), policy)).toEqual({ action: 'retry', failure: { kind: expect.any(String), code } });
    }
  });

  it('idempotent route: any unique violation is retried', () => {
    expect(decideAfterFailure(pgError('23505', 'whatever_key'), idempotent)).toEqual({
      action: 'retry',
      failure: { kind: 'unique_violation', code: '23505', constraint: 'whatever_key' },
    });
  });

  it('per-constraint refinement wins over idempotent', () => {
    expect(decideAfterFailure(pgError('23505', 'dag_run_pkey'), create).action).toBe('retry');
    const conflictOnIdempotent = decideAfterFailure(pgError('23505', 'k'), { idempotent: true, constraints: { k: { conflict: 'taken' } } });
    expect(conflictOnIdempotent.action).toBe('throw');
  });

  it('conflict route: a mapped constraint becomes unique_conflict with its reason', () => {
    const d = decideAfterFailure(pgError('23505', 'task_instance_composite_key'), create);
    expect(d.action).toBe('throw');
    const e = (d as { error: DomainError }).error;
    expect(e).toBeInstanceOf(DomainError);
    expect({ code: e.code, reason: e.reason, detail: e.detail, extensions: e.extensions }).toEqual({
      code: 'unique_conflict',
      reason: 'already_exists',
      detail: 'The request conflicts with an existing resource (already_exists).',
      extensions: { constraint: 'task_instance_composite_key' },
    });
  });

  it('conflict route: an unmapped constraint becomes unique_violation naming only the constraint', () => {
    const e = (decideAfterFailure(pgError('23505', 'other_key'), create) as { error: DomainError }).error;
    expect({ code: e.code, reason: e.reason, detail: e.detail, extensions: e.extensions }).toEqual({
      code: 'unique_conflict',
      reason: 'unique_violation',
      detail: 'The request conflicts with an existing row (constraint other_key).',
      extensions: { constraint: 'other_key' },
    });
  });

  it.each<[string, string]>([
    ['23503', 'foreign_key_violation'],
    ['23502', 'not_null_violation'],
    ['23514', 'check_violation'],
    ['22P02', 'value_rejected'],
    ['08006', 'database_unavailable'],
    ['57014', 'database_timeout'],
  ])('%s is never retried, even on an idempotent route: DomainError %s', (code, domainCode) => {
    const d = decideAfterFailure(pgError(code, 'c'), idempotent);
    expect(d.action).toBe('throw');
    expect((d as { error: DomainError }).error.code).toBe(domainCode);
  });

  it('a pool acquire timeout is never retried (a retry would queue for the same busy pool): DomainError pool_exhausted, Retry-After 1', () => {
    const timeout = new Error('timeout exceeded when trying to connect');
    const d = decideAfterFailure(timeout, idempotent);
    expect(d.action).toBe('throw');
    expect((d as { error: DomainError }).error).toMatchObject({ code: 'pool_exhausted', reason: 'pool_exhausted', retryAfterSeconds: 1 });
  });

  it('a bug (42P01) is rethrown as it is, for the filter to answer 500', () => {
    const bug = pgError('42P01');
    expect(decideAfterFailure(bug, idempotent)).toEqual({ action: 'throw', error: bug });
  });

  it("the handler's own errors are final, never retried", () => {
    const domain = new DomainError('not_found', 'Connection terminated: gone');
    expect(decideAfterFailure(domain, idempotent)).toEqual({ action: 'throw', error: domain });
    const http = Object.assign(new ConflictException(), { code: '40001' });
    expect(decideAfterFailure(http, idempotent)).toEqual({ action: 'throw', error: http });
    const plain = new TypeError('x is undefined');
    expect(decideAfterFailure(plain, idempotent)).toEqual({ action: 'throw', error: plain });
  });
});

describe('@ReadUnitOfWork({ reads })', () => {
  it('stores the replica read policy, and refuses anything else', () => {
    class Controller {
      @ReadUnitOfWork({ reads: 'replica' })
      list(): void {}
      @ReadUnitOfWork()
      one(): void {}
    }
    expect(Reflect.getMetadata(UNIT_OF_WORK_POLICY, Controller.prototype.list)).toMatchObject({ readOnly: true, reads: 'replica', maxAttempts: 1 });
    expect(Reflect.getMetadata(UNIT_OF_WORK_POLICY, Controller.prototype.one).reads).toBeUndefined();
    expect(() => ReadUnitOfWork({ reads: 'standby' } as never)).toThrow(`"reads" must be 'primary' or 'replica'`);
    expect(() => ReadUnitOfWork({ read: 'replica' } as never)).toThrow('the only option is "reads"');
  });
});
