import { MAX_DURATION_MS, parseIsoDuration } from '../../src/task-instances/lifecycle/iso-duration';

describe('parseIsoDuration', () => {
  it.each([
    ['P1D', 86_400_000],
    ['PT1H', 3_600_000],
    ['PT30M', 1_800_000],
    ['PT600S', 600_000],
    ['PT0.5S', 500],
    ['PT0,25S', 250],
    ['P1DT2H3M4S', 93_784_000],
    ['P2W', 14 * 86_400_000],
    ['P1Y', 365 * 86_400_000],
    ['P1M', 30 * 86_400_000],
    ['PT0S', 0],
  ])('reads %s', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', 'P1DT', '1D', 'P-1D', '-P1D', 'PT1H30', 'P1H', 'PT1D', 'p1d', '600', 'P1D ', `P${'9'.repeat(70)}D`])('rejects %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });

  it('caps nothing itself: the caller compares with MAX_DURATION_MS', () => {
    expect(parseIsoDuration('P36500D')).toBe(MAX_DURATION_MS);
    expect(parseIsoDuration('P36501D')!).toBeGreaterThan(MAX_DURATION_MS);
  });
});
