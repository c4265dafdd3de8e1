import { parseExactJson, stringifyExactJson } from '../../src/common/json/exact-json';
import { ACCEPT_PROBLEM, expectedProblem } from '../support/problem';
import { runBody } from './lifecycle.helpers';
import { createTaskInstance, http, problemHttp, startTestApp, uniqueId, type TestApp } from '../support/test-app';
import { bearer, defaultTokenFor, executionToken } from '../support/tokens';
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

  /** Sends raw text with the default token for the path, or the execution token of `tokenFor`. */
  async function sendText(method: string, path: string, text: string, tokenFor?: string) {
    const token = tokenFor === undefined ? await defaultTokenFor(path) : await executionToken(tokenFor);
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: text,
    });
    return { status: res.status, text: await res.text() };
  }

  /** One member of a JSON response, as raw JSON text (the response is never put through plain JSON.parse). */
  function member(text: string, ...path: string[]): string {
    let value = parseExactJson(text) as unknown;
    for (const key of path) value = (value as Record<string, unknown>)[key];
    return stringifyExactJson(value as never);
  }

  // The edge table of issue 24: [what, the number as sent, as PostgreSQL's jsonb stores it, which
  // is also what every read returns]. One rule for every stored document: a number is kept as
  // written; jsonb keeps its value and its fraction digits, and spells exponents and -0 its own way.
  const EDGES: [string, string, string][] = [
    ['an integer beyond 2^53', '12345678901234567890', '12345678901234567890'],
    ['2^53 + 1', '9007199254740993', '9007199254740993'],
    ['a negative integer beyond 2^63', '-92233720368547758080', '-92233720368547758080'],
    ['a long decimal', '0.1000000000000000055511151231257827', '0.1000000000000000055511151231257827'],
    ['a decimal with 17 significant digits', '123456789.12345678', '123456789.12345678'],
    ['a float with a zero fraction (1.0)', '1.0', '1.0'],
    ['a trailing zero (1.50)', '1.50', '1.50'],
    ['a negative zero fraction (-1.0)', '-1.0', '-1.0'],
    ['0.1', '0.1', '0.1'],
    // numeric has no negative zero: -0 is 0 in PostgreSQL (and in Airflow's PostgreSQL).
    ['negative zero', '-0', '0'],
    ['negative zero with a fraction', '-0.0', '0.0'],
    ['beyond double range (1e400)', '1e400', '1' + '0'.repeat(400)],
    ['below double range (1e-400)', '1e-400', '0.' + '0'.repeat(399) + '1'],
    ['an exponent a double holds (1E2)', '1E2', '100'],
    ['a signed exponent (1e+2)', '1e+2', '100'],
    ['an exponent with a fraction (1.5e-7)', '1.5e-7', '0.00000015'],
    ['an exponent keeping fraction digits (1.50e1)', '1.50e1', '15.0'],
    ['a plain small number', '42', '42'],
    ['a plain decimal', '0.5', '0.5'],
  ];
  const doc = (n: string, spaced: boolean) => (spaced ? `{"n": ${n}, "nested": {"list": [${n}]}}` : `{"n":${n},"nested":{"list":[${n}]}}`);

  describe.each(EDGES)('%s: %s', (_, sent, stored) => {
    it('RTIF: PUT stores it as jsonb stores it, GET returns that', async () => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
      const res = await putText(ti.id, doc(sent, true));
      expect(res.status).toBe(201);
      expect(await storedText(ti.dag_id)).toBe(doc(stored, true));
      expect(await readBackText(ti.id)).toBe(doc(stored, false));
    });

    it('XCom: POST stores it, GET returns it (in an object and as the bare value)', async () => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
      const path = `/execution/xcoms/${ti.dag_id}/r/t/`;
      expect((await sendText('POST', `${path}k`, doc(sent, true), ti.id)).status).toBe(201);
      expect((await sendText('POST', `${path}bare`, sent, ti.id)).status).toBe(201);
      const stored_ = await withDirect(async (c) => (await c.query('select key, value::text as v from xcom where dag_id = $1 order by key', [ti.dag_id])).rows);
      expect(stored_).toEqual([
        { key: 'bare', v: stored },
        { key: 'k', v: doc(stored, true) },
      ]);
      const read = await http(t.baseUrl, 'GET', `${path}k`, undefined, bearer(await executionToken(ti.id)));
      expect(read.text).toBe(`{"key":"k","value":${doc(stored, false)}}`);
      const bare = await http(t.baseUrl, 'GET', `${path}bare`, undefined, bearer(await executionToken(ti.id)));
      expect(bare.text).toBe(`{"key":"bare","value":${stored}}`);
    });

    it('dag_run.conf: the control plane stores it, PATCH /run returns it in the run context', async () => {
      const dagId = uniqueId('exact');
      const create = await sendText('POST', '/api/v1/task-instances', `{"dag_id": "${dagId}", "run_id": "r", "task_id": "t", "conf": ${doc(sent, true)}}`);
      expect(create.status).toBe(201);
      const conf = await withDirect(async (c) => (await c.query('select conf::text as t from dag_run where dag_id = $1', [dagId])).rows[0]?.t as string);
      expect(conf).toBe(doc(stored, true));
      const id = (JSON.parse(create.text) as { id: string }).id;
      const run = await http(t.baseUrl, 'PATCH', `/execution/task-instances/${id}/run`, runBody());
      expect(run.status).toBe(200);
      expect(member(run.text, 'dag_run', 'conf')).toBe(doc(stored, false));
    });
  });

  // Documents, not numbers: [what, as sent, as stored and returned].
  describe.each<[string, string, string]>([
    ['unicode escapes are decoded (jsonb stores the characters)', '{"s": "caf\\u00e9 \\ud83d\\ude00 \\n"}', '{"s": "café 😀 \\n"}'],
    ['duplicate keys: the last one wins (as in JSON.parse, Python and jsonb)', '{"a": 1, "b": 2, "a": 1.50}', '{"a": 1.50, "b": 2}'],
    [
      'nesting and mixed types',
      '{"a": [1.0, {"b": [null, true, "x", 12345678901234567890]}], "c": {}}',
      '{"a": [1.0, {"b": [null, true, "x", 12345678901234567890]}], "c": {}}',
    ],
  ])('%s', (_, sent, stored) => {
    const compact = (text: string) => stringifyExactJson(parseExactJson(text));

    it('RTIF', async () => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
      expect((await putText(ti.id, sent)).status).toBe(201);
      expect(await storedText(ti.dag_id)).toBe(stored);
      expect(await readBackText(ti.id)).toBe(compact(stored));
    });

    it('XCom', async () => {
      const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
      expect((await sendText('POST', `/execution/xcoms/${ti.dag_id}/r/t/k`, sent, ti.id)).status).toBe(201);
      const read = await http(t.baseUrl, 'GET', `/execution/xcoms/${ti.dag_id}/r/t/k`, undefined, bearer(await executionToken(ti.id)));
      expect(read.text).toBe(`{"key":"k","value":${compact(stored)}}`);
    });

    it('dag_run.conf', async () => {
      const create = await sendText('POST', '/api/v1/task-instances', `{"dag_id": "${uniqueId('exact')}", "run_id": "r", "task_id": "t", "conf": ${sent}}`);
      expect(create.status).toBe(201);
      const run = await http(t.baseUrl, 'PATCH', `/execution/task-instances/${(JSON.parse(create.text) as { id: string }).id}/run`, runBody());
      expect(member(run.text, 'dag_run', 'conf')).toBe(compact(stored));
    });
  });

  it('deferral: trigger and next_kwargs keep their numbers as written, and /run returns next_kwargs so on resume', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
    expect((await http(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/run`, runBody())).status).toBe(200);
    // In jsonb's key order (shorter keys first), so that the stored text can be compared as sent.
    const kwargs = '{"id": 12345678901234567890, "ratio": 1.50, "timeout": 60.0}';
    const defer = await sendText(
      'PATCH',
      `/execution/task-instances/${ti.id}/state`,
      `{"state": "deferred", "classpath": "x.Trigger", "trigger_kwargs": ${kwargs}, "next_method": "execute_complete", "next_kwargs": ${kwargs}}`,
    );
    expect(defer.status).toBe(204);
    const rows = await withDirect(
      async (c) =>
        (
          await c.query(
            'select ti.next_kwargs::text as next, tr.kwargs::text as trig from task_instance ti join trigger tr on tr.id = ti.trigger_id where ti.id = $1',
            [ti.id],
          )
        ).rows,
    );
    expect(rows).toEqual([{ next: kwargs, trig: kwargs }]);
    await withDirect((c) => c.query("update task_instance set state = 'queued' where id = $1", [ti.id]));
    const resume = await http(t.baseUrl, 'PATCH', `/execution/task-instances/${ti.id}/run`, runBody());
    expect(resume.status).toBe(200);
    expect(member(resume.text, 'next_kwargs')).toBe(stringifyExactJson(parseExactJson(kwargs)));
  });

  it('redaction still applies around exact numbers, and an exact number under a sensitive key is redacted', async () => {
    const ti = await createTaskInstance(t.baseUrl, { dag_id: uniqueId('exact'), run_id: 'r', task_id: 't' });
    expect((await putText(ti.id, '{"api_token": 12345678901234567890, "id": 12345678901234567890}')).status).toBe(201);
    expect(await storedText(ti.dag_id)).toBe('{"id": 12345678901234567890, "api_token": "***"}');
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
