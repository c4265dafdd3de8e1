import { advisoryLockKey, keyScopeId, requestFingerprint } from '../../src/common/idempotency-keys/fingerprint';
import { idempotencyKeyOf } from '../../src/common/idempotency-keys/idempotency-key.header';
import { toWebResponse } from '../../src/common/idempotency-keys/stored-response';

describe('Idempotency-Key header', () => {
  it.each([
    ['a UUID', '8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ["the draft's Structured Field String form", '"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['base64 with padding', 'q83vEjRWeJA=', 'q83vEjRWeJA='],
    ['a prefixed key', 'ik_2026:create/1.0~x', 'ik_2026:create/1.0~x'],
    ['255 characters', 'k'.repeat(255), 'k'.repeat(255)],
    ['surrounding spaces (OWS)', '  abc  ', 'abc'],
  ])('accepts %s', (_, value, key) => {
    expect(idempotencyKeyOf({ 'idempotency-key': value }, 'optional')).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['empty quotes', '""'],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'a b'],
    ['a comma (two header lines)', 'a, b'],
    ['a quote inside', 'a"b'],
    ['a backslash', 'a\\b'],
    ['non-ASCII', 'ключ'],
    ['a control character', 'a\tb'],
  ])('refuses %s with 400 idempotency_key_invalid', (_, value) => {
    expect(() => idempotencyKeyOf({ 'idempotency-key': value }, 'optional')).toThrow(expect.objectContaining({ code: 'idempotency_key_invalid' }));
  });

  it('a missing key is fine when optional and a 400 idempotency_key_missing when required', () => {
    expect(idempotencyKeyOf({}, 'optional')).toBeUndefined();
    expect(() => idempotencyKeyOf({}, 'required')).toThrow(expect.objectContaining({ code: 'idempotency_key_missing' }));
  });
});

describe('request fingerprint and key scope', () => {
  const base = { method: 'POST', route: '/api/v1/task-instances', params: {}, query: {}, body: { dag_id: 'd', run_id: 'r', conf: { a: 1, b: [1, 2] } } };

  it('ignores key order and whitespace, not values', () => {
    const reordered = JSON.parse('{ "conf": { "b": [1, 2], "a": 1.0 },  "run_id": "r", "dag_id": "d" }');
    expect(requestFingerprint({ ...base, body: reordered })).toBe(requestFingerprint(base));
    for (const changed of [
      { ...base, body: { ...base.body, run_id: 'r2' } },
      { ...base, body: { ...base.body, conf: { a: 1, b: [2, 1] } } },
      { ...base, body: { ...base.body, extra: null } },
      { ...base, params: { task_instance_id: 'x' } },
      { ...base, query: { a: '1' } },
      { ...base, method: 'PUT' },
      { ...base, route: '/api/v1/other' },
      { ...base, body: undefined },
    ]) {
      expect(requestFingerprint(changed)).not.toBe(requestFingerprint(base));
    }
  });

  it('scopes by caller, route and key without ambiguity between the parts', () => {
    const id = keyScopeId('admin:alice', 'POST /x', 'k');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(keyScopeId('admin:bob', 'POST /x', 'k')).not.toBe(id);
    expect(keyScopeId('admin:alice', 'POST /y', 'k')).not.toBe(id);
    // Concatenation would make these equal.
    expect(keyScopeId('a', 'bc', 'd')).not.toBe(keyScopeId('ab', 'c', 'd'));
  });

  it('derives a signed 64-bit advisory lock key from the scope id', () => {
    expect(advisoryLockKey('f'.repeat(64))).toBe('-1');
    expect(advisoryLockKey(`7fffffffffffffff${'0'.repeat(48)}`)).toBe('9223372036854775807');
    expect(advisoryLockKey(`8000000000000000${'0'.repeat(48)}`)).toBe('-9223372036854775808');
  });
});

describe('stored responses', () => {
  it('are sent with their own status, headers and exact body, and marked when replayed', async () => {
    const stored = { status: 409, headers: { 'content-type': 'application/problem+json; charset=utf-8' }, body: '{"reason":"already_exists","x":"é"}' };
    const first = toWebResponse(stored, false);
    const replay = toWebResponse(stored, true);
    expect(first.status).toBe(409);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-length')).toBe(String(Buffer.byteLength(stored.body)));
    expect(await first.text()).toBe(stored.body);
    expect(await replay.text()).toBe(stored.body);
  });
});
