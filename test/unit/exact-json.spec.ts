import { isExactNumber, MAX_NUMBER_DIGITS, parseExactJson, printedDigits, stringifyExactJson } from '../../src/common/json/exact-json';
import { inspectJsonBody, jsonDepth } from '../../src/common/json/json-inspection';

describe('parseExactJson', () => {
  it.each<[string, boolean]>([
    ['12345678901234567890', true],
    ['9007199254740993', true],
    ['9007199254740992', false], // 2^53: a double holds it
    ['0.1000000000000000055511151231257827', true],
    ['123456789.123456789', true],
    ['123456789.12345678', false], // 17 digits whose double prints back the same: nothing to keep
    ['1e400', true],
    ['1e-400', true],
    ['1E2', false], // 100 exactly: stays a number (jsonb prints 100 either way)
    ['1.0', false],
    ['-0', false],
    ['0.30000000000000004', false], // the shortest spelling of a double round-trips
    ['1e-7', false],
    ['42', false],
  ])('%s kept as its source text: %s', (text, exact) => {
    const value = (parseExactJson(`{"n":${text}}`) as { n: unknown }).n;
    expect(isExactNumber(value)).toBe(exact);
    if (exact) expect(stringifyExactJson({ n: value as never })).toBe(`{"n":${text}}`);
  });

  it('parses a body with no possibly inexact number with plain JSON.parse semantics', () => {
    expect(parseExactJson('{"a":[1,2.5,"x"],"b":{"c":null,"d":true}}')).toEqual({ a: [1, 2.5, 'x'], b: { c: null, d: true } });
  });

  it('a string that looks like a long number stays a string (the pre-scan only chooses the parser)', () => {
    expect(parseExactJson('{"s":"12345678901234567890","e":"1e400"}')).toEqual({ s: '12345678901234567890', e: '1e400' });
  });

  it('throws SyntaxError on malformed text and on whitespace only', () => {
    expect(() => parseExactJson('{"a":')).toThrow(SyntaxError);
    expect(() => parseExactJson('  ')).toThrow(SyntaxError);
  });
});

describe('printedDigits (numeric output length)', () => {
  it.each<[string, number]>([
    ['1e400', 401],
    ['1e-400', 401],
    ['0.5e3', 3],
    ['123.45', 5],
    ['0.001', 4],
    ['1.50e1', 3],
    ['-12345678901234567890', 20],
    ['1e99999999999999999999', Infinity],
  ])('%s → %d', (text, digits) => {
    expect(printedDigits(text)).toBe(digits);
  });
});

describe('JSON inspection with exact numbers', () => {
  it('treats an exact number as a leaf for depth, and refuses one printed with too many digits, with its path', () => {
    const body = parseExactJson('{"a":{"b":[12345678901234567890]}}');
    expect(jsonDepth(body)).toBe(3);
    expect(inspectJsonBody(body, 3)).toBeUndefined();
    expect(inspectJsonBody(parseExactJson(`{"a":{"b":[1e${MAX_NUMBER_DIGITS}]}}`), 64)).toEqual({
      detail: 'The request body contains a number too large or too precise to store.',
      path: 'a.b[0]',
      message: `must be a number of at most ${MAX_NUMBER_DIGITS} digits once written out in full`,
    });
  });
});
