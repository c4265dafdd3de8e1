import { slicePositions } from '../../src/xcom/python-slice';
import { pythonSlice } from '../e2e/xcom.helpers';

describe("slicePositions (Python's seq[start:stop:step])", () => {
  const bounds = [undefined, -12, -9, -8, -7, -3, -1, 0, 1, 2, 3, 6, 7, 8, 9, 12];
  const steps = [undefined, 1, 2, 3, -1, -2, -3, 7, -7, 100, -100];
  const table: [number, number | undefined, number | undefined, number | undefined][] = [];
  for (let n = 0; n <= 9; n++) for (const start of bounds) for (const stop of bounds) for (const step of steps) table.push([n, start, stop, step]);

  it(`agrees with the reference implementation on ${table.length} slices of sequences of 0 to 9 items`, () => {
    const got = table.map(([n, start, stop, step]) => slicePositions(n, start, stop, step));
    const want = table.map(([n, start, stop, step]) =>
      pythonSlice(
        Array.from({ length: n }, (_, i) => i),
        start,
        stop,
        step,
      ),
    );
    expect(got).toEqual(want);
  });

  it.each([
    // Values Python gives (checked against CPython): a handful written out, so the reference itself is pinned.
    [5, undefined, undefined, -1, [4, 3, 2, 1, 0]],
    [5, -2, undefined, undefined, [3, 4]],
    [5, undefined, -2, undefined, [0, 1, 2]],
    [5, 10, -10, -2, [4, 2, 0]],
    [5, -10, 10, 3, [0, 3]],
    [5, 3, 3, 1, []],
    [0, undefined, undefined, -1, []],
  ] as const)('len %s [%s:%s:%s] is %j', (n, start, stop, step, expected) => {
    expect(slicePositions(n, start, stop, step)).toEqual(expected);
    expect(
      pythonSlice(
        Array.from({ length: n }, (_, i) => i),
        start,
        stop,
        step,
      ),
    ).toEqual(expected);
  });

  it('refuses a step of 0, as Python does', () => {
    expect(() => slicePositions(3, 0, 3, 0)).toThrow('slice step cannot be zero');
  });
});
