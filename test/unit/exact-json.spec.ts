import { isExactNumber, MAX_NUMBER_DIGITS, mayHoldRespelledNumber, parseExactJson, printedDigits, stringifyExactJson } from '../../src/common/json/exact-json';
import { inspectJsonBody, jsonDepth } from '../../src/common/json/json-inspection';

describe('parseExactJson', () => {
  // [as written, kept as its source text]: a number stays a plain number only when JSON.stringify
  // writes it back byte for byte.
  it.each<[string, boolean]>([
    ['12345678901234567890', true],
    ['9007199254740993', true],
    ['9007199254740992', false], // 2^53: a double holds it and prints it back the same
    ['-9007199254740993', true],
    ['0.1000000000000000055511151231257827', true],
    ['123456789.123456789', true],
    ['123456789.12345678', false], // 17 digits whose double prints back the same
    ['1e400', true],
    ['1e-400', true],
    ['1E2', true], // the value a double holds, but respelled (100) on the way out
    ['1e2', true],
    ['1.5e-7', false], // JavaScript's own spelling of that double
    ['1.0', true],
    ['1.50', true],
    ['-1.0', true],
    ['10.000', true],
    ['0.0', true],
    ['-0', true],
    ['-0.0', true],
    ['0.0000001', true], // JavaScript writes 1e-7
    ['0.000001', false],
    ['0.30000000000000004', false], // the shortest spelling of a double round-trips
    ['0.1', false],
    ['1.05', false],
    ['100', false],
    ['-3', false],
    ['0', false],
    ['42', false],
  ])('%s kept as its source text: %s', (text, exact) => {
    const value = (parseExactJson(`{"n":${text}}`) as { n: unknown }).n;
    expect(isExactNumber(value)).toBe(exact);
    // Either way the number is written back as it was written.
    expect(stringifyExactJson({ n: value as never })).toBe(`{"n":${text}}`);
  });

  it('the pre-scan never lets a respelled number through plain JSON.parse: every number of a document round-trips', () => {
    const numbers = ['1.0', '2.50', '-0', '1E2', '0.0000001', '12345678901234567890', '0.1', '7', '-0.5', '1.05', '100', '0.000001'];
    for (const n of numbers) {
      // Alone, among plain numbers, nested, and at the top level.
      for (const text of [`${n}`, `[1,${n},2]`, `{"a":{"b":[${n}]},"c":"text 1.5"}`]) expect(stringifyExactJson(parseExactJson(text))).toBe(text);
    }
  });

  it('unicode escapes, nested documents and duplicate keys (the last one wins, as in JSON.parse and jsonb)', () => {
    expect(stringifyExactJson(parseExactJson('{"s":"caf\\u00e9 \\ud83d\\ude00","a":[{"b":[1.0,{"c":-0}]}]}'))).toBe(
      '{"s":"café 😀","a":[{"b":[1.0,{"c":-0}]}]}',
    );
    expect(stringifyExactJson(parseExactJson('{"a":1,"b":2,"a":1.50}'))).toBe('{"a":1.50,"b":2}');
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

describe('mayHoldRespelledNumber (the pre-scan, number tokens only)', () => {
  it.each<[string, boolean]>([
    // Strings that fired the whole-text scan: no number token needs the reviver.
    ['{"cmd":"--target part-0/","ts":"2026-11-25T00:00:00.000Z","key":"sk_9f8e7d6c","n":3}', false],
    ['["1.0","-0","1e5","12345678901234567890"]', false],
    // Every respelled number token is found, wherever the strings around it put it.
    ['{"cmd":"part-0/","n":1.0}', true],
    ['{"a\\\\":"x\\\\\\"1","n":-0}', true],
    ['{"s":"\\"","n":[1,2,1E2]}', true],
    ['{"s":"8e7","n":12345678901234567890}', true],
    ['0.0000001', true],
    ['[1.5,2,-3]', false],
  ])('%s → %s', (text, expected) => {
    expect(mayHoldRespelledNumber(text)).toBe(expected);
    // Whatever the pre-scan says, the document is the same as the reviver's on every token.
    expect(stringifyExactJson(parseExactJson(text))).toBe(
      JSON.stringify(
        JSON.parse(text, (_k, v: unknown, c?: { source?: string }) =>
          typeof v === 'number' && c?.source !== undefined && String(v) !== c.source ? JSON.rawJSON(c.source) : v,
        ),
      ),
    );
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
