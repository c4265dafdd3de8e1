import { parseExactJson, stringifyExactJson } from '../../src/common/json/exact-json';
import { ACCEPT_PROBLEM, expectedProblem } from '../support/problem';
import { createTaskInstance, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { defaultTokenFor } from '../support/tokens';
import { withDirect } from '../support/test-database';

/**
 * What a client sends is what is stored and read back (issue 14): numbers JavaScript's JSON.parse
 * would round keep their value on the way to PostgreSQL's jsonb and on the way back out; bodies
 * that are not one JSON object change nothing. Each case writes raw body text (not a JS object,
 * which would already have rounded) and compares text.
 */
describe('exact JSON: RTIF stores and returns numbers as sent', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** PUT raw text as the body. */
  async function putText(id: string, text: string, contentType = 'application/json') {
    const res = await fetch(`${t.baseUrl}/execution/task-instances/${id}/rtif`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await defaultTokenFor(`/execution/task-instances/${id}/rtif`)}`, 'content-type': contentType, ...ACCEPT_PROBLEM },
      body: text,
    });
    const body = await res.text();
    return { status: res.status, text: body, json: body ? (JSON.parse(body) as Record<string, unknown>) : undefined };
  }

  /** The stored document as PostgreSQL prints it. */
  async function storedText(dagId: string): Promise<string | undefined> {
    return withDirect(
      async (c) =>
        (await c.query('select rendered_fields::text as t from rendered_task_instance_fields where dag_id = $1', [dagId])).rows[0]?.t as string | undefined,
    );
  }

  /** The `rendered_fields` member of the read route's response, as raw JSON text (never through JSON.parse). */
  async function readBackText(id: string): Promise<string> {
    const res = await problemHttp(t.baseUrl, 'GET', `/api/v1/task-instances/${id}/rendered-fields`);
    expect(res.status).toBe(200);
    return stringifyExactJson((parseExactJson(res.text) as { rendered_fields: never }).rendered_fields);
  }

  // [what, the number as sent, as PostgreSQL's jsonb stores and prints it, as the read route returns it]
  it.each<[string, string, string, string]>([
    ['an integer beyond 2^53', '12345678901234567890', '12345678901234567890', '12345678901234567890'],
    ['2^53 + 1', '9007199254740993', '9007199254740993', '9007199254740993'],
    ['a negative integer beyond 2^63', '-92233720368547758080', '-92233720368547758080', '-92233720368547758080'],
    ['a long decimal', '0.1000000000000000055511151231257827', '0.1000000000000000055511151231257827', '0.1000000000000000055511151231257827'],
    ['a decimal with 17 significant digits', '123456789.12345678', '123456789.12345678', '123456789.12345678'],
    ['beyond double range (1e400)', '1e400', '1' + '0'.repeat(400), '1' + '0'.repeat(400)],
    ['below double range (1e-400)', '1e-400', '0.' + '0'.repeat(399) + '1', '0.' + '0'.repeat(399) + '1'],
    ['an exponent a double holds (1E2)', '1E2', '100', '100'],
    ['an exponent with a fraction (1.5e-7)', '1.5e-7', '0.00000015', '1.5e-7'],
    // numeric has no negative zero: -0 is 0 in PostgreSQL (and in Airflow's PostgreSQL).
    ['negative zero', '-0', '0', '0'],
    ['a plain small number', '42', '42', '42'],
    ['a plain decimal', '0.5', '0.5', '0.5'],
  ])('%s: %s', async (_, sent, stored, returned) => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
    const res = await putText(ti.id, `{"n": ${sent}, "nested": {"list": [${sent}]}}`);
    expect(res.status).toBe(201);
    expect(await storedText(ti.dag_id)).toBe(`{"n": ${stored}, "nested": {"list": [${stored}]}}`);
    expect(await readBackText(ti.id)).toBe(`{"n":${returned},"nested":{"list":[${returned}]}}`);
  });

  it('redaction still applies around exact numbers, and an exact number under a sensitive key is redacted', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
    expect((await putText(ti.id, '{"api_token": 12345678901234567890, "id": 12345678901234567890}')).status).toBe(201);
    expect(await storedText(ti.dag_id)).toBe('{"id": 12345678901234567890, "api_token": "***"}');
  });

  it('duplicate keys: the last one wins (as in JSON.parse, Python and jsonb)', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
    expect((await putText(ti.id, '{"a": 1, "a": 12345678901234567890}')).status).toBe(201);
    expect(await storedText(ti.dag_id)).toBe('{"a": 12345678901234567890}');
  });

  it('a leading byte-order mark is ignored (RFC 8259 §8.1)', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
    expect((await putText(ti.id, '\uFEFF{"a": 1}')).status).toBe(201);
    expect(await storedText(ti.dag_id)).toBe('{"a": 1}');
  });

  describe('bodies that are refused and change nothing', () => {
    const NOT_AN_OBJECT = 'The request body must be a JSON object.';
    it.each<[string, string, string, string, string, string]>([
      ['an empty body', '', 'validation_error', NOT_AN_OBJECT, '', 'must be a JSON object, got no body'],
      ['whitespace only', ' \n\t ', 'invalid_json', 'The request body is not valid JSON.', '', 'malformed JSON'],
      ['two byte-order marks', '\uFEFF\uFEFF{}', 'invalid_json', 'The request body is not valid JSON.', '', 'malformed JSON'],
      ['two JSON values', '{} {}', 'invalid_json', 'The request body is not valid JSON.', '', 'malformed JSON'],
      ['a lone exact number', '12345678901234567890', 'validation_error', NOT_AN_OBJECT, '', 'must be a JSON object, got a number'],
      ['a lone number', '1', 'validation_error', NOT_AN_OBJECT, '', 'must be a JSON object, got a number'],
      ['an array', '[1]', 'validation_error', NOT_AN_OBJECT, '', 'must be a JSON object, got an array'],
      ['null', 'null', 'validation_error', NOT_AN_OBJECT, '', 'must be a JSON object, got null'],
      [
        'a number printed with more than 1000 digits (1e1001)',
        '{"ok": 1, "deep": {"n": [1e1001]}}',
        'validation_error',
        'The request body contains a number too large or too precise to store.',
        'deep.n[0]',
        'must be a number of at most 1000 digits once written out in full',
      ],
      [
        'a number numeric cannot hold (1e131072)',
        '{"n": 1e131072}',
        'validation_error',
        'The request body contains a number too large or too precise to store.',
        'n',
        'must be a number of at most 1000 digits once written out in full',
      ],
      [
        'an exponent beyond any integer',
        '{"n": 1e99999999999999999999999}',
        'validation_error',
        'The request body contains a number too large or too precise to store.',
        'n',
        'must be a number of at most 1000 digits once written out in full',
      ],
      [
        'a decimal with 1001 fraction digits',
        `{"n": 0.${'1'.repeat(1001)}}`,
        'validation_error',
        'The request body contains a number too large or too precise to store.',
        'n',
        'must be a number of at most 1000 digits once written out in full',
      ],
    ])('%s → 422, stored fields unchanged', async (_, text, reason, detail, path, message) => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
      expect((await putText(ti.id, '{"before": true}')).status).toBe(201);
      const res = await putText(ti.id, text);
      expect(res.status).toBe(422);
      expect(res.json).toEqual(expectedProblem(422, reason, detail, `/execution/task-instances/${ti.id}/rtif`, { errors: [{ path, message }] }));
      expect(await storedText(ti.dag_id)).toBe('{"before": true}');
    });
  });

  it('the control plane stores exact numbers in conf without tripping over them, and integer fields refuse what a double would round', async () => {
    const dagId = uniqueId('exact');
    const create = await fetch(`${t.baseUrl}/api/v1/task-instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await defaultTokenFor('/api/v1/task-instances')}`, 'content-type': 'application/json' },
      body: `{"dag_id": "${dagId}", "run_id": "r", "task_id": "t", "conf": {"batch": 12345678901234567890}}`,
    });
    expect(create.status).toBe(201);
    const conf = await withDirect(async (c) => (await c.query('select conf::text as t from dag_run where dag_id = $1', [dagId])).rows[0]?.t as string);
    expect(conf).toBe('{"batch": 12345678901234567890}');
    const bad = await fetch(`${t.baseUrl}/api/v1/task-instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await defaultTokenFor('/api/v1/task-instances')}`, 'content-type': 'application/json' },
      body: `{"dag_id": "${dagId}", "run_id": "r", "task_id": "t2", "map_index": 12345678901234567890}`,
    });
    expect(bad.status).toBe(422);
  });
});
