/**
 * The positions `seq[start:stop:step]` selects from a sequence of `length` items, with Python's
 * semantics exactly (CPython's `PySlice_AdjustIndices`): omitted bounds default by the sign of
 * `step`, negative bounds count from the end, out-of-range bounds are clamped, never an error.
 * `step` 0 is Python's `ValueError: slice step cannot be zero`; the caller refuses it first.
 */
export function slicePositions(length: number, start: number | undefined, stop: number | undefined, step = 1): number[] {
  if (step === 0) throw new RangeError('slice step cannot be zero');
  const clamp = (bound: number | undefined, whenOmitted: number): number => {
    if (bound === undefined) return whenOmitted;
    if (bound < 0) {
      const from = bound + length;
      return from < 0 ? (step < 0 ? -1 : 0) : from;
    }
    return bound >= length ? (step < 0 ? length - 1 : length) : bound;
  };
  const first = clamp(start, step < 0 ? length - 1 : 0);
  const end = clamp(stop, step < 0 ? -1 : length);
  const positions: number[] = [];
  for (let i = first; step > 0 ? i < end : i > end; i += step) positions.push(i);
  return positions;
}
