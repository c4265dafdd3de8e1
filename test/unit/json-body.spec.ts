import type { Type } from '@nestjs/common';
import { IsIn, IsInt, IsString, MinLength } from 'class-validator';
import { createValidationPipe, JsonBody, RequestValidationException } from '../../src/common/problem/validation';
import { parseExactJson } from '../../src/common/json/exact-json';
import { RenderedMapIndexBody } from '../../src/task-instances/reads/dto/rendered-map-index.dto';
import { StateUpdateBody, TIRetryStatePayload, TISuccessStatePayload } from '../../src/task-instances/lifecycle/dto/state-update.dto';

/** `@JsonBody` as the global pipe reads it: each class decorator's refusals, whole, and what passes. */
const pipe = createValidationPipe();
// Abstract classes too: a discriminated body's class is never instantiated itself.
const body = (metatype: abstract new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype: metatype as Type, data: undefined });

/** The refusal `promise` ends in: its detail and issues (a test fails if it resolves). */
async function refusal(promise: Promise<unknown>): Promise<{ detail: string; issues: unknown[] }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RequestValidationException);
  const { message, issues } = error as RequestValidationException;
  return { detail: message, issues };
}

@JsonBody({ json: 'object', maxDepth: 3 })
class Worker {
  @IsString() hostname: string;
  @IsInt() pid: number;
}

class Cat {
  @IsIn(['cat']) kind: 'cat';
  @IsString() name: string;
}
class Dog {
  @IsIn(['dog']) kind: 'dog';
  @IsInt() bones: number;
}
@JsonBody({ json: 'object', discriminator: { property: 'kind', classes: { cat: Cat, dog: Dog } } })
abstract class Pet {}

@JsonBody({ json: 'object', whole: 'fields', freeForm: { refuseNul: false } })
class Fields {
  fields: Record<string, unknown>;
}
@JsonBody({ json: 'value', whole: 'value', freeForm: { refuseNul: true } })
class AnyValue {
  value: unknown;
}
@JsonBody({ whole: 'label' })
class Label {
  @MinLength(2, { message: 'must be at least 2 characters' })
  @IsString({ message: 'must be a JSON string', context: { detail: 'A label is a string.' } })
  label: string;
}

const NOT_AN_OBJECT = 'The request body must be a JSON object.';

describe('@JsonBody json: "object": the kind first, in the words every object route answers', () => {
  it.each([
    [undefined, 'no body'],
    [null, 'null'],
    [[1], 'an array'],
    ['x', 'a string'],
    [5, 'a number'],
    [parseExactJson('12345678901234567890'), 'a number'],
    [true, 'a boolean'],
  ])('%j is refused as %s', async (value, got) => {
    expect(await refusal(body(Worker, value))).toEqual({ detail: NOT_AN_OBJECT, issues: [{ path: '', message: `must be a JSON object, got ${got}` }] });
    expect(await refusal(body(Fields, value))).toEqual({ detail: NOT_AN_OBJECT, issues: [{ path: '', message: `must be a JSON object, got ${got}` }] });
  });

  it('an object goes on to the class rules (unknown fields and types, one issue each)', async () => {
    expect(await refusal(body(Worker, { hostname: 1, pid: 2, extra: true }))).toEqual({
      detail: 'The request is not valid.',
      issues: [
        { path: 'extra', message: 'extra is not allowed', type: 'extra_forbidden' },
        { path: 'hostname', message: 'hostname must be a string' },
      ],
    });
    const ok = await body(Worker, { hostname: 'h', pid: 2 });
    expect(ok).toBeInstanceOf(Worker);
    expect(ok).toEqual({ hostname: 'h', pid: 2 });
  });
});

describe('@JsonBody maxDepth: checked before class-transformer', () => {
  it('refuses one level deeper than the bound, with the bound in the message', async () => {
    // `{}` is depth 1 (as `jsonDepth` counts): this body is 4 deep.
    expect(await refusal(body(Worker, { hostname: 'h', pid: 1, x: { y: { z: {} } } }))).toEqual({
      detail: 'The request body is nested too deeply.',
      issues: [{ path: '', message: 'must not be nested deeper than 3 levels' }],
    });
    expect(await refusal(body(Worker, { hostname: 'h', pid: 1, x: [[[]]] }))).toEqual(
      expect.objectContaining({ detail: 'The request body is nested too deeply.' }),
    );
  });
  it('lets the bound itself through to the rules (here: an unknown field)', async () => {
    expect(await refusal(body(Worker, { hostname: 'h', pid: 1, x: { y: {} } }))).toEqual({
      detail: 'The request is not valid.',
      issues: [{ path: 'x', message: 'x is not allowed', type: 'extra_forbidden' }],
    });
  });
});

describe('@JsonBody discriminator: the property selects the class', () => {
  it.each([{}, { kind: 5 }, { kind: 'bird' }, { kind: '__proto__' }, { kind: 'toString' }, { kind: 'constructor', name: 'x' }])(
    '%j: "kind must be one of" the classes, before anything else',
    async (value) => {
      expect(await refusal(body(Pet, value))).toEqual({
        detail: 'The request is not valid.',
        issues: [{ path: 'kind', message: 'kind must be one of: cat, dog' }],
      });
    },
  );
  it('runs the selected class rules, and answers an instance of it', async () => {
    expect(await refusal(body(Pet, { kind: 'dog', name: 'Rex' }))).toEqual({
      detail: 'The request is not valid.',
      issues: [
        { path: 'name', message: 'name is not allowed', type: 'extra_forbidden' },
        { path: 'bones', message: 'bones is required' },
      ],
    });
    const cat = await body(Pet, { kind: 'cat', name: 'Tom' });
    expect(cat).toBeInstanceOf(Cat);
    expect(cat).toEqual({ kind: 'cat', name: 'Tom' });
  });
  it('the PATCH /state body: up_for_retry selects TIRetryStatePayload, running is refused', async () => {
    const retry = await body(StateUpdateBody, {
      state: 'up_for_retry',
      end_date: '2026-11-25T10:05:00Z',
      retry_delay_seconds: 5,
    });
    expect(retry).toBeInstanceOf(TIRetryStatePayload);
    expect(await body(StateUpdateBody, { state: 'success', end_date: '2026-11-25T10:05:00Z' })).toBeInstanceOf(TISuccessStatePayload);
    expect((await refusal(body(StateUpdateBody, { state: 'running' }))).issues).toEqual([
      {
        path: 'state',
        message: 'state must be one of: success, failed, skipped, removed, upstream_failed, up_for_retry, up_for_reschedule, deferred, awaiting_input',
      },
    ]);
  });
});

describe('@JsonBody freeForm: kind (and NUL if asked), the value passed on as parsed', () => {
  it('hands the parsed object itself to the handler, exact numbers and all (no class-transformer copy)', async () => {
    const parsed = parseExactJson('{"n":12345678901234567890,"f":1.0,"constructor":{"a":[1]},"s":"a\\u0000"}');
    const out = (await body(Fields, parsed)) as Fields;
    expect(out).toBeInstanceOf(Fields);
    expect(out.fields).toBe(parsed);
  });
  it('any JSON value: null, scalars and arrays pass; a missing body and U+0000 are refused', async () => {
    for (const value of [null, 0, 'x', [], false]) expect(((await body(AnyValue, value)) as AnyValue).value).toBe(value);
    expect(await refusal(body(AnyValue, undefined))).toEqual({
      detail: 'The request body must be a JSON value.',
      issues: [{ path: '', message: 'must be a JSON value, got no body' }],
    });
    expect(await refusal(body(AnyValue, { a: ['ok', 'b\u0000'] }))).toEqual({
      detail: 'The request is not valid.',
      issues: [{ path: 'a[1]', message: 'must not contain U+0000 (NUL)' }],
    });
  });
});

describe('@JsonBody whole: the property rules speak for the whole body, at path ""', () => {
  it.each([undefined, null, 5, ['ab'], { label: 'ab' }])('%j is "must be a JSON string" with the rule context detail', async (value) => {
    expect(await refusal(body(Label, value))).toEqual({ detail: 'A label is a string.', issues: [{ path: '', message: 'must be a JSON string' }] });
  });
  it('answers the body in the property, or the next rule it breaks', async () => {
    expect(((await body(Label, 'ab')) as Label).label).toBe('ab');
    expect(await refusal(body(Label, 'a'))).toEqual({ detail: 'The request is not valid.', issues: [{ path: '', message: 'must be at least 2 characters' }] });
  });
  it.each([
    ['', 'rendered_map_index cannot be empty', 'must not be empty'],
    ['x'.repeat(251), 'The request body must be a non-empty JSON string.', 'must be at most 250 characters'],
    ['x'.repeat(251) + '\u0001', 'The request body must be a non-empty JSON string.', 'must be at most 250 characters'],
    ['a\u0000', 'The request body must be a non-empty JSON string.', 'must not contain control characters'],
    ['a\u007f', 'The request body must be a non-empty JSON string.', 'must not contain control characters'],
  ])('rendered-map-index %j: %s', async (value, detail, message) => {
    expect(await refusal(body(RenderedMapIndexBody, value))).toEqual({ detail, issues: [{ path: '', message }] });
  });
});

describe('@JsonBody refuses a contradictory shape when the class is declared', () => {
  it.each([
    [{ json: 'object', freeForm: { refuseNul: true } }, 'freeForm needs the whole property'],
    [{ json: 'object', whole: 'x', discriminator: { property: 'k', classes: {} } }, 'a discriminator selects among JSON object bodies'],
    [{ json: 'value', discriminator: { property: 'k', classes: {} } }, 'a discriminator selects among JSON object bodies'],
    [{ json: 'object', maxDepth: 0 }, 'maxDepth must be a positive integer'],
  ] as const)('%j', (shape, message) => {
    expect(() => JsonBody(shape as Parameters<typeof JsonBody>[0])).toThrow(message);
  });
});
