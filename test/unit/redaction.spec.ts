import { DEFAULT_SENSITIVE_FIELDS } from '../../src/config/app-config';
import { jsonDepth } from '../../src/common/json/json-inspection';
import { redactSensitive } from '../../src/common/json/redaction';

describe('redactSensitive', () => {
  const words = [...DEFAULT_SENSITIVE_FIELDS];
  it('masks values under sensitive keys at any depth and leaves the rest', () => {
    const input = { a: 1, PassWord: 'x', nested: [{ my_api_key: { deep: 1 } }, 'token'], token_x: null };
    expect(redactSensitive(input, words)).toEqual({ a: 1, PassWord: '***', nested: [{ my_api_key: '***' }, 'token'], token_x: '***' });
    expect(input.PassWord).toBe('x');
  });
  it('passes scalars through', () => {
    expect(redactSensitive('secret', words)).toBe('secret');
    expect(redactSensitive(null, words)).toBeNull();
  });
});

describe('jsonDepth', () => {
  it('counts nesting without recursion', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: [1, { b: [] }] })).toBe(4);
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonDepth(deep, 64)).toBe(65);
  });
});
