import { plainToInstance, Transform } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';
import { integerText, IsIntegerIn, IsKeyText } from '../../src/common/http/query-rules';
import { createValidationPipe, RefusalWording, RequestValidationException, validatePathParams } from '../../src/common/problem/validation';
import { DagRunParams } from '../../src/dag-runs/dag-run.params';
import { VariableKeyParams } from '../../src/variables/dto/variable-key.params';
import { decodeCursor, encodeCursor, TaskInstanceListQueryDto } from '../../src/task-instances/control-plane/dto/task-instance-search.dto';
import { TaskInstanceIdParams } from '../../src/task-instances/task-instance-id.params';

class Sample {
  @IsOptional() @IsKeyText(5) key?: string;
  @IsOptional() @Transform(integerText(/^-?\d{1,3}$/)) @IsIntegerIn(-1, 10, { above: 'is too large' }) n?: number;
}

/** The one message each property fails with (class-validator's own output, no pipe). */
function messages(plain: Record<string, unknown>): Record<string, string[]> {
  const errors = validateSync(plainToInstance(Sample, plain));
  return Object.fromEntries(errors.map((e) => [e.property, Object.values(e.constraints ?? {})]));
}

describe('IsKeyText: one printable text, one message per mistake', () => {
  it.each([
    ['abc', {}],
    ['', { key: ['must not be empty'] }],
    ['abcdef', { key: ['must be at most 5 characters'] }],
    ['a\u0000b', { key: ['must not contain control characters'] }],
    ['a\u007fb', { key: ['must not contain control characters'] }],
    // Too long and a control character: the first thing wrong, once (never two issues for one path).
    ['abcdef\u0001', { key: ['must be at most 5 characters'] }],
    [['a', 'b'], { key: ['must be a single value'] }],
    [7, { key: ['must be a single value'] }],
  ])('%j → %j', (key, expected) => {
    expect(messages({ key })).toEqual(expected);
  });
});

describe('IsIntegerIn with integerText: query text to a bounded integer', () => {
  it.each([
    ['-1', {}],
    ['10', {}],
    ['-2', { n: ['must be -1 or more'] }],
    ['11', { n: ['is too large'] }],
    ['1.5', { n: ['must be an integer'] }],
    ['1000', { n: ['must be an integer'] }],
    [['1', '2'], { n: ['must be an integer'] }],
  ])('%j → %j', (n, expected) => {
    expect(messages({ n })).toEqual(expected);
  });

  it('turns the text into its number', () => {
    expect(plainToInstance(Sample, { n: '-1' }).n).toBe(-1);
  });
});

describe('the task-instance cursor', () => {
  it('decodes what encodeCursor issued and nothing else', () => {
    const id = '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a';
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    for (const bad of ['not*a*cursor', '', Buffer.from('ti:robert').toString('base64url'), 'A'.repeat(201), ['x'], undefined])
      expect(decodeCursor(bad)).toBeUndefined();
  });
});

describe('RefusalWording on the global pipe', () => {
  @RefusalWording({ detail: 'The query parameters are not valid.', unknownFields: 'is not a parameter of this route' })
  class Worded extends Sample {}

  const refusal = async (metatype: new () => object, value: Record<string, unknown>) => {
    try {
      await createValidationPipe().transform(value, { type: 'query', metatype, data: undefined });
    } catch (error) {
      expect(error).toBeInstanceOf(RequestValidationException);
      const e = error as RequestValidationException;
      return { detail: e.message, issues: e.issues.map(({ path, message }) => ({ path, message })) };
    }
    throw new Error('not refused');
  };

  it('keeps the default wording for a DTO that declares none', async () => {
    expect(await refusal(Sample, { a: '1', b: '2', n: '11' })).toEqual({
      detail: 'The request is not valid.',
      issues: [
        { path: 'a', message: 'a is not allowed' },
        { path: 'b', message: 'b is not allowed' },
        { path: 'n', message: 'is too large' },
      ],
    });
  });

  it("words a DTO's refusals as it declares: its detail, one issue naming every unknown parameter", async () => {
    expect(await refusal(Worded, { a: '1', b: '2', n: '11' })).toEqual({
      detail: 'The query parameters are not valid.',
      issues: [
        { path: 'n', message: 'is too large' },
        { path: 'a, b', message: 'is not a parameter of this route' },
      ],
    });
  });

  it('refuses a cursor the service did not issue on the list query', async () => {
    expect((await refusal(TaskInstanceListQueryDto, { cursor: 'not*a*cursor' })).issues).toEqual([
      { path: 'cursor', message: 'is not a cursor this service issued' },
    ]);
  });
});

describe('IsUuidParam on TaskInstanceIdParams, through the global pipe', () => {
  const pipe = createValidationPipe();
  const param = (value: unknown) => pipe.transform(value, { type: 'param', metatype: TaskInstanceIdParams, data: undefined });

  it('answers the id in lower case', async () => {
    expect(await param({ task_instance_id: '0193A1F2-7C3E-7B7A-9B1E-1F2E3D4C5B6A' })).toEqual({ task_instance_id: '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6a' });
  });

  it.each(['not-a-uuid', '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6', '0193a1f2-7c3e-7b7a-9b1e-1f2e3d4c5b6g', ''])(
    '%j: Pydantic uuid_parsing at the path, with the detail from the rule context',
    async (id) => {
      await expect(param({ task_instance_id: id })).rejects.toEqual(
        expect.objectContaining({
          message: 'The path parameter is not a valid UUID.',
          issues: [{ path: 'task_instance_id', message: 'must be a UUID', location: 'path', type: 'uuid_parsing' }],
        }),
      );
    },
  );

  it('refuses before the call yields (synchronous rules), so the path is answered before any body', async () => {
    let settled = false;
    const refusal = param({ task_instance_id: 'x' }).catch(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
    await refusal;
  });
});

describe('IsPathText on path DTOs (DagRunParams, VariableKeyParams)', () => {
  const pipe = createValidationPipe();
  const param = (value: unknown) => pipe.transform(value, { type: 'param', metatype: DagRunParams, data: undefined });
  const refusal = (name: string, message: string) =>
    expect.objectContaining({ message: `The path parameter ${name} is not valid.`, issues: [{ path: name, message, location: 'path' }] });

  it('passes good text through unchanged', async () => {
    expect(await param({ dag_id: 'example_dag', run_id: 'manual__2026-12-06' })).toEqual({ dag_id: 'example_dag', run_id: 'manual__2026-12-06' });
  });

  it.each([
    ['a'.repeat(251), 'must be at most 250 characters'],
    ['a\u0001b', 'must not contain control characters'],
    ['a\u007fb', 'must not contain control characters'],
    ['', 'must not be empty'],
  ])('%j: 422 naming the parameter, in its own detail, never echoing the value', async (runId, message) => {
    await expect(param({ dag_id: 'd', run_id: runId })).rejects.toEqual(refusal('run_id', message));
  });

  it('answers the first bad parameter only, in declaration order (one detail per refusal)', async () => {
    await expect(param({ dag_id: '\u0002', run_id: 'b'.repeat(300) })).rejects.toEqual(refusal('dag_id', 'must not contain control characters'));
  });

  it('refuses a parameter the route does not declare', async () => {
    await expect(param({ dag_id: 'd', run_id: 'r', extra: 'x' })).rejects.toBeInstanceOf(RequestValidationException);
  });

  it("joins a wildcard's segments with '/' (Airflow's {key:path}), then checks the joined text", () => {
    expect(validatePathParams(VariableKeyParams, { key: ['team', 'a', 'b'] })).toEqual({ key: 'team/a/b' });
    expect(() => validatePathParams(VariableKeyParams, { key: ['a', 'x'.repeat(300)] })).toThrow(RequestValidationException);
  });

  it('refuses synchronously, so the path is answered before any body or query', async () => {
    let settled = false;
    const refused = param({ dag_id: '\u0001', run_id: 'r' }).catch(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(true);
    await refused;
  });
});
