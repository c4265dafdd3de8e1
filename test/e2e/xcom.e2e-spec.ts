import { expectedProblem } from '../support/problem';
import { type CreatedTi, createTaskInstance, problemHttp, startTestApp, type TestApp, uniqueId } from '../support/test-app';
import { withDirect } from '../support/test-database';
import { adminToken, bearer, executionToken, workloadToken } from '../support/tokens';
import { pythonSlice, storedTaskMap, storedXComs, xcoms } from './xcom.helpers';

const SET = { message: 'XCom successfully set' };

describe('XCom routes (/execution/xcoms/{dag_id}/{run_id}/{task_id}/{key})', () => {
  let t: TestApp;
  let x: ReturnType<typeof xcoms>;
  beforeAll(async () => {
    t = await startTestApp({ env: { XCOM_MAX_VALUE_BYTES: '2048', XCOM_MAX_MAP_LENGTH: '16' } });
    x = xcoms(t.baseUrl);
  });
  afterAll(() => t.close());

  describe('set and get', () => {
    const values: [string, unknown][] = [
      ['an object', { rows: 42, files: ['a.csv', 'b.csv'], nested: { ok: true, none: null } }],
      ['an array', [1, 'two', { three: 3 }, null]],
      ['a string', 'value1'],
      ['a number', 3.25],
      ['true', true],
      ['false', false],
      ['null', null],
      ['an empty object', {}],
      ['keys that ORM code might misread', { constructor: 1, __entity: 2, __reference: 3, toJSON: 4 }],
    ];
    it.each(values)('stores %s as sent and reads it back (201, then 200 {key, value})', async (_name, value) => {
      const ti = await x.newTi();
      const set = await x.set(ti, 'return_value', value);
      expect([set.status, set.body]).toEqual([201, SET]);
      expect((await storedXComs(ti, 'return_value')).map((r) => JSON.parse(r.value))).toEqual([value]);
      const got = await x.get(ti, 'return_value');
      expect([got.status, got.body]).toEqual([200, { key: 'return_value', value }]);
    });

    it('keeps numbers a double cannot hold exactly, in the database and in every read', async () => {
      const ti = await x.newTi();
      const text =
        '{"big":12345678901234567890,"neg":-98765432109876543210,"long":0.1000000000000000055511151231257827,"scaled":1.50,"tiny":1e-400,"huge":1e400}';
      expect((await x.setText(ti, 'exact', text)).status).toBe(201);
      const [row] = await storedXComs(ti, 'exact');
      // jsonb keeps numeric values exactly (it normalises the exponent notation only).
      for (const n of ['12345678901234567890', '-98765432109876543210', '0.1000000000000000055511151231257827', '1.50']) expect(row.value).toContain(n);
      const got = await x.get(ti, 'exact');
      expect(got.status).toBe(200);
      for (const n of ['12345678901234567890', '-98765432109876543210', '0.1000000000000000055511151231257827', '1.50']) expect(got.text).toContain(n);
      expect(await withDirect(async (c) => (await c.query(`select ($1::jsonb -> 'value') = $2::jsonb as same`, [got.text, row.value])).rows[0].same)).toBe(
        true,
      );
      const bare = await x.setText(ti, 'bare', '12345678901234567890');
      expect(bare.status).toBe(201);
      expect((await x.get(ti, 'bare')).text).toBe('{"key":"bare","value":12345678901234567890}');
    });

    it('overwrites on a second set (201 both times, one row, the second value)', async () => {
      const ti = await x.newTi();
      expect((await x.set(ti, 'k', { v: 1 })).status).toBe(201);
      expect((await x.set(ti, 'k', ['v', 2])).status).toBe(201);
      expect(await storedXComs(ti, 'k')).toEqual([{ map_index: -1, value: '["v", 2]' }]);
    });

    it('accepts keys with slashes, sent as is or encoded, and tells item/slice suffixes apart as Airflow does', async () => {
      const ti = await x.newTi();
      expect((await x.set(ti, 'a/b/c', 'slashed')).status).toBe(201);
      expect((await x.get(ti, 'a%2Fb%2Fc')).body).toEqual({ key: 'a/b/c', value: 'slashed' });
      expect((await x.get(ti, 'a/b/c')).body).toEqual({ key: 'a/b/c', value: 'slashed' });
      expect((await storedXComs(ti, 'a/b/c')).length).toBe(1);
      // ".../a/b/c/item/0" is the item route of key "a/b/c" (FastAPI's order: item and slice first).
      expect((await x.item(ti, 'a/b/c', 0)).body).toBe('slashed');
    });

    it("answers 404 not_found with Airflow's message for a missing XCom", async () => {
      const ti = await x.newTi();
      const res = await x.get(ti, 'absent', '?map_index=-1');
      expect([res.status, res.body]).toEqual([
        404,
        expectedProblem(
          404,
          'not_found',
          `XCom with key="absent" map_index=-1 not found for task "push" in DAG run "run_1" of "${ti.dag_id}"`,
          x.path(ti, 'absent'),
          {
            key: 'absent',
            map_index: -1,
          },
        ),
      ]);
    });

    it('refuses bad input with 422 and writes nothing', async () => {
      const ti = await x.newTi();
      const cases: [string, () => Promise<{ status: number; body: any }>, string][] = [
        ['no body', async () => problemHttp(t.baseUrl, 'POST', x.path(ti, 'k'), undefined, bearer(await executionToken(ti.id))), ''],
        ['a NUL in a string', () => x.setText(ti, 'k', '{"a":"x\\u0000y"}'), 'a'],
        ['map_index not an integer', () => x.set(ti, 'k', 1, '?map_index=abc'), 'map_index'],
        ['map_index below -1', () => x.set(ti, 'k', 1, '?map_index=-2'), 'map_index'],
        ['mapped_length negative', () => x.set(ti, 'k', 1, '?mapped_length=-1'), 'mapped_length'],
        ['an unknown query parameter', () => x.set(ti, 'k', 1, '?colour=red'), 'colour'],
        ['a key over 512 characters', () => x.set(ti, 'k'.repeat(513), 1), 'key'],
        // 8 bytes here, 131,072 digits in every read: PostgreSQL prints numeric values in full
        // (refused for every body by the HTTP layer's exact-JSON parser).
        ['a number with a huge exponent', () => x.setText(ti, 'k', '{"n": 1e131071}'), 'n'],
      ];
      for (const [name, send, path] of cases) {
        const res = await send();
        expect([name, res.status, res.body.reason]).toEqual([name, 422, 'validation_error']);
        expect([name, res.body.errors.map((e: { path: string }) => e.path)]).toEqual([name, expect.arrayContaining([path])]);
      }
      expect(await storedXComs(ti, 'k')).toEqual([]);
    });

    it("a write's map_index is checked in the guard after the path: one refusal each, the path's first", async () => {
      const ti = await x.newTi();
      const badIndex = await x.set(ti, 'k', 1, '?map_index=2147483648');
      expect([badIndex.status, badIndex.body]).toEqual([
        422,
        expectedProblem(422, 'validation_error', 'The request is not valid.', x.path(ti, 'k'), {
          errors: [{ path: 'map_index', message: 'map_index must be an integer from -1 to 2147483647' }],
        }),
      ]);
      const airflow = xcoms(t.baseUrl, {});
      for (const res of [await airflow.set(ti, 'k', 1, '?map_index=x'), await airflow.del(ti, 'k', '?map_index=1&map_index=2')]) {
        expect([res.status, res.body]).toEqual([
          422,
          { detail: [{ loc: ['query', 'map_index'], msg: 'map_index must be an integer from -1 to 2147483647', type: 'value_error' }] },
        ]);
      }
      // Unlike the task-instance key's resolver, which answers every bad part at once.
      const both = await x.set({ ...ti, task_id: 'a\u0001b' }, 'k', 1, '?map_index=x');
      expect([both.status, both.body.detail, both.body.errors]).toEqual([
        422,
        'The path parameter task_id is not valid.',
        [{ path: 'task_id', message: 'must not contain control characters' }],
      ]);
      expect(await storedXComs(ti, 'k')).toEqual([]);
    });

    it('answers 413 payload_too_large above XCOM_MAX_VALUE_BYTES and writes nothing', async () => {
      const ti = await x.newTi();
      const res = await x.set(ti, 'big', { blob: 'x'.repeat(2100) });
      expect([res.status, res.body]).toEqual([
        413,
        {
          ...expectedProblem(413, 'payload_too_large', 'The XCom value is larger than the limit of 2048 bytes.', x.path(ti, 'big'), { limit_bytes: 2048 }),
          title: 'Content Too Large',
        },
      ]);
      expect(await storedXComs(ti, 'big')).toEqual([]);
    });
  });

  describe('delete', () => {
    it("deletes one value (200 with Airflow's message); deleting it again is still 200", async () => {
      const ti = await x.newTi();
      await x.set(ti, 'gone/soon', 1);
      for (let i = 0; i < 2; i++) {
        const res = await x.del(ti, 'gone/soon');
        expect([res.status, res.body]).toEqual([200, { message: 'XCom with key: gone/soon successfully deleted.' }]);
      }
      expect(await storedXComs(ti, 'gone/soon')).toEqual([]);
      expect((await x.get(ti, 'gone/soon')).status).toBe(404);
    });
  });

  describe('mapped tasks: HEAD, item, offset, slice', () => {
    /** One mapped task of `n` task instances (map_index 0..n-1), each of which pushed `value(i)`. */
    async function mapped(n: number, value: (i: number) => unknown = (i) => `v${i}`) {
      const dagId = uniqueId('map');
      const tis: CreatedTi[] = [];
      for (let i = 0; i < n; i++) tis.push(await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'mapped', map_index: i }));
      for (const ti of tis) expect((await x.set(ti, 'return_value', value(ti.map_index), `?map_index=${ti.map_index}`)).status).toBe(201);
      // A task of the same dag reads them.
      const reader = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'run_1', task_id: 'reader' });
      return { tis, reader, series: { dag_id: dagId, run_id: 'run_1', task_id: 'mapped' } as CreatedTi };
    }

    it('HEAD counts the values of every map index in Content-Range; map_index is refused (400 invalid_request)', async () => {
      const { series, reader } = await mapped(3);
      const res = await x.head(series, 'return_value', '', reader);
      expect([res.status, res.headers.get('content-range')]).toEqual([200, 'map_indexes 3']);
      expect((await x.head(series, 'nothing', '', reader)).headers.get('content-range')).toBe('map_indexes 0');
      const refused = await x.get(series, 'return_value', '?map_index=0', reader);
      expect(refused.status).toBe(200);
      const head = await x.head(series, 'return_value', '?map_index=0', reader);
      expect(head.status).toBe(400);
    });

    it('HEAD with map_index answers the whole 400 invalid_request problem (seen through GET-less fetch of the body)', async () => {
      // HEAD responses carry no body; the same refusal is rendered for the status and type header.
      const { series, reader } = await mapped(1);
      const res = await x.head(series, 'return_value', '?map_index=0', reader);
      expect([res.status, res.headers.get('content-type')]).toEqual([400, expect.stringMatching(/^application\/problem\+json/)]);
    });

    it('item/{offset} reads by position, negative from the end; 404 past either end', async () => {
      const { series, reader } = await mapped(4);
      for (const [offset, value] of [
        [0, 'v0'],
        [3, 'v3'],
        [-1, 'v3'],
        [-4, 'v0'],
      ] as const) {
        // The bare JSON value, as Airflow's XComSequenceIndexResponse.

        const res = await x.item(series, 'return_value', offset, reader);
        expect([offset, res.status, res.body]).toEqual([offset, 200, value]);
      }
      for (const offset of [4, -5]) {
        const res = await x.item(series, 'return_value', offset, reader);
        expect([res.status, res.body.reason, res.body.offset]).toEqual([404, 'not_found', offset]);
      }
      // The largest safe integer is a position (past the end); anything else is one path issue.
      expect((await x.item(series, 'return_value', Number.MAX_SAFE_INTEGER, reader)).status).toBe(404);
      for (const offset of ['one', '1.5', '9007199254740992', '-9007199254740992', '99999999999999999', '+1', '0x1']) {
        const res = await x.item(series, 'return_value', offset, reader);
        expect([offset, res.status, res.body]).toEqual([
          offset,
          422,
          expect.objectContaining({ detail: 'The request is not valid.', errors: [{ path: 'offset', message: 'offset must be an integer number' }] }),
        ]);
      }
    });

    it('GET ?offset= skips null values and ignores map_index', async () => {
      const { series, reader } = await mapped(4, (i) => (i === 1 ? null : `v${i}`));
      expect((await x.get(series, 'return_value', '?offset=1&map_index=0', reader)).body).toEqual({ key: 'return_value', value: 'v2' });
      expect((await x.get(series, 'return_value', '?offset=-1', reader)).body).toEqual({ key: 'return_value', value: 'v3' });
      expect((await x.get(series, 'return_value', '?offset=-3', reader)).body).toEqual({ key: 'return_value', value: 'v0' });
      expect((await x.get(series, 'return_value', '?offset=3', reader)).status).toBe(404);
      // item/{offset} does not skip nulls: position 1 is the null itself, sent as JSON.
      const nul = await x.item(series, 'return_value', 1, reader);
      expect([nul.status, nul.headers.get('content-type'), nul.text]).toEqual([200, 'application/json; charset=utf-8', 'null']);
    });

    it("slices exactly as Python does (table-driven against a reference implementation of Python's slicing)", async () => {
      const n = 7;
      const { series, reader } = await mapped(n);
      const seq = Array.from({ length: n }, (_, i) => `v${i}`);
      const bounds = [undefined, -9, -7, -2, 0, 2, 6, 7, 9];
      const steps = [undefined, 1, 2, -1, -3, 8];
      const cases: [number | undefined, number | undefined, number | undefined][] = [];
      for (const start of bounds) for (const stop of bounds) for (const step of steps) cases.push([start, stop, step]);
      const results = await Promise.all(
        cases.map(async ([start, stop, step]) => {
          const q = new URLSearchParams();
          if (start !== undefined) q.set('start', String(start));
          if (stop !== undefined) q.set('stop', String(stop));
          if (step !== undefined) q.set('step', String(step));
          const res = await x.slice(series, 'return_value', `?${q}`, reader);
          return { q: q.toString(), status: res.status, body: res.body };
        }),
      );
      const expected = cases.map(([start, stop, step]) => pythonSlice(seq, start, stop, step));
      expect(results.map((r) => [r.q, r.status, r.body])).toEqual(results.map((r, i) => [r.q, 200, expected[i]]));
    });

    it('refuses a slice step of 0 as Python does (422), and answers [] for an empty series', async () => {
      const { series, reader } = await mapped(2);
      const res = await x.slice(series, 'return_value', '?step=0', reader);
      expect([res.status, res.body.errors]).toEqual([422, [{ path: 'step', message: 'slice step cannot be zero' }]]);
      expect((await x.slice(series, 'nothing', '?start=-1', reader)).body).toEqual([]);
    });

    it('include_prior_dates reads earlier runs of the dag, newest first', async () => {
      const dagId = uniqueId('prior');
      const early = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'early', task_id: 'push', logical_date: '2026-01-01T00:00:00Z' });
      const late = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'late', task_id: 'push', logical_date: '2026-02-01T00:00:00Z' });
      const later = await createTaskInstance(t.baseUrl, { dag_id: dagId, run_id: 'later', task_id: 'push', logical_date: '2026-03-01T00:00:00Z' });
      expect((await x.set(early, 'k', 'from early')).status).toBe(201);
      expect((await x.set(later, 'k', 'from later')).status).toBe(201);
      expect((await x.get(late, 'k', '', late)).status).toBe(404);
      expect((await x.get(late, 'k', '?include_prior_dates=true', late)).body).toEqual({ key: 'k', value: 'from early' });
      expect((await x.get(later, 'k', '?include_prior_dates=true', late)).body).toEqual({ key: 'k', value: 'from later' });
      expect((await x.slice(later, 'k', '?include_prior_dates=true', late)).body).toEqual(['from later', 'from early']);
    });
  });

  describe('mapped_length (the task map, in the same unit of work)', () => {
    it('records the task map with the XCom, and overwrites it on a repeat', async () => {
      const ti = await x.newTi();
      expect((await x.set(ti, 'return_value', [1, 2, 3], '?mapped_length=3')).status).toBe(201);
      expect(await storedTaskMap(ti)).toEqual([{ map_index: -1, length: 3, keys: null }]);
      expect((await x.set(ti, 'return_value', [1, 2], '?mapped_length=2')).status).toBe(201);
      expect(await storedTaskMap(ti)).toEqual([{ map_index: -1, length: 2, keys: null }]);
    });

    it('answers 400 unmappable_return_value_length above XCOM_MAX_MAP_LENGTH and writes neither row', async () => {
      const ti = await x.newTi();
      const res = await x.set(ti, 'return_value', [1], '?mapped_length=17');
      expect([res.status, res.body]).toEqual([
        400,
        {
          ...expectedProblem(
            400,
            'unmappable_return_value_length',
            "pushed value is too large to map as a downstream's dependency",
            x.path(ti, 'return_value'),
            { max_map_length: 16 },
          ),
          title: 'Bad Request',
        },
      ]);
      expect(await storedXComs(ti, 'return_value')).toEqual([]);
      expect(await storedTaskMap(ti)).toEqual([]);
    });
  });

  describe("access (Airflow allows everything; here a write needs its own token, a read any live task instance's)", () => {
    it("refuses a write or delete with another task instance's token, even of the same dag (403 wrong_task_instance), and writes nothing", async () => {
      const ti = await x.newTi();
      const sibling = await createTaskInstance(t.baseUrl, { dag_id: ti.dag_id, run_id: 'run_1', task_id: 'sibling' });
      for (const res of [await x.set(ti, 'k', 1, '', sibling), await x.del(ti, 'k', '', sibling), await x.set(ti, 'k', 1, '?map_index=0')]) {
        expect([res.status, res.body]).toEqual([
          403,
          expectedProblem(403, 'wrong_task_instance', 'The token was issued for another task instance.', x.path(ti, 'k')),
        ]);
      }
      expect(await storedXComs(ti, 'k')).toEqual([]);
    });

    it("lets a live task instance of any dag read (Airflow's has_xcom_access; XCOM_READ_SCOPE=any_dag), while writes stay with the owner", async () => {
      const ti = await x.newTi();
      await x.set(ti, 'k', 'v');
      const sibling = await createTaskInstance(t.baseUrl, { dag_id: ti.dag_id, run_id: 'other_run', task_id: 'sibling' });
      expect((await x.get(ti, 'k', '', sibling)).body).toEqual({ key: 'k', value: 'v' });
      // xcom_pull(dag_id=...) from a task of another dag.
      const stranger = await x.newTi();
      const reads = [
        await x.get(ti, 'k', '', stranger),
        await x.slice(ti, 'k', '', stranger),
        await x.item(ti, 'k', 0, stranger),
        await x.head(ti, 'k', '', stranger),
      ];
      expect(reads.map((r) => [r.status, r.body])).toEqual([
        [200, { key: 'k', value: 'v' }],
        [200, ['v']],
        [200, 'v'],
        [200, undefined],
      ]);
      expect(reads[3].headers.get('content-range')).toBe('map_indexes 1');
      for (const res of [await x.set(ti, 'k', 'w', '', stranger), await x.del(ti, 'k', '', stranger)]) {
        expect([res.status, res.body]).toEqual([
          403,
          expectedProblem(403, 'wrong_task_instance', 'The token was issued for another task instance.', x.path(ti, 'k')),
        ]);
      }
      expect(await storedXComs(ti, 'k')).toEqual([{ map_index: -1, value: '"v"' }]);
    });

    it('refuses no token (401), a workload or admin token (403 wrong_scope), and a token for no task instance (404)', async () => {
      const ti = await x.newTi();
      expect((await problemHttp(t.baseUrl, 'POST', x.path(ti, 'k'), '1', { authorization: undefined })).status).toBe(401);
      for (const token of [await workloadToken(ti.id), await adminToken()]) {
        const res = await problemHttp(t.baseUrl, 'POST', x.path(ti, 'k'), '1', bearer(token));
        expect([res.status, res.body.reason]).toEqual([403, 'wrong_scope']);
      }
      const unknown = '01939b7e-0000-7000-8000-00000000abcd';
      const res = await x.set(ti, 'k', 1, '', unknown);
      expect([res.status, res.body.reason, res.body.task_instance_id]).toEqual([404, 'not_found', unknown]);
      expect(await storedXComs(ti, 'k')).toEqual([]);
    });
  });

  describe('stale tries and retention', () => {
    const run = (id: string) =>
      problemHttp(t.baseUrl, 'PATCH', `/execution/task-instances/${id}/run`, {
        state: 'running',
        hostname: 'w',
        unixname: 'u',
        pid: 1,
        start_date: '2026-11-25T10:00:00Z',
      });
    const retry = (id: string) =>
      problemHttp(t.baseUrl, 'PATCH', `/execution/task-instances/${id}/state`, { state: 'up_for_retry', end_date: '2026-11-25T10:01:00Z' });

    it('fences a try that was archived: its write answers 410 and writes nothing, its read 410; the next try gets xcom_keys_to_clear', async () => {
      const ti = await x.newTi({ max_tries: 2 });
      expect((await run(ti.id)).status).toBe(200);
      expect((await x.set(ti, 'return_value', 'try 1')).status).toBe(201);
      expect((await x.set(ti, 'other/key', 'try 1')).status).toBe(201);
      expect((await retry(ti.id)).status).toBe(204);
      const late = await x.set(ti, 'late', 'stale');
      expect([late.status, late.body.reason]).toEqual([410, 'not_found']);
      expect(await storedXComs(ti, 'late')).toEqual([]);
      expect((await x.get(ti, 'return_value')).status).toBe(410);
      expect((await x.del(ti, 'return_value')).status).toBe(410);

      const next = await withDirect(async (c) => {
        const row = (await c.query('select id from task_instance where dag_id = $1 and run_id = $2 and task_id = $3', [ti.dag_id, ti.run_id, ti.task_id]))
          .rows[0];
        await c.query(`update task_instance set state = 'queued' where id = $1`, [row.id]);
        return row.id as string;
      });
      const started = await run(next);
      expect([started.status, started.body.xcom_keys_to_clear]).toEqual([200, ['other/key', 'return_value']]);
    });

    it('a first try starts with no keys to clear', async () => {
      const ti = await x.newTi();
      expect((await run(ti.id)).body.xcom_keys_to_clear).toEqual([]);
    });

    it('deletes the XComs and the task map with their task instance (cascade)', async () => {
      const ti = await x.newTi();
      expect((await x.set(ti, 'k', 1, '?mapped_length=1')).status).toBe(201);
      await withDirect((c) => c.query('delete from task_instance where id = $1', [ti.id]));
      expect(await storedXComs(ti, 'k')).toEqual([]);
      expect(await storedTaskMap(ti)).toEqual([]);
    });
  });
});
