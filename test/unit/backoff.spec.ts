import { fullJitterDelayMs } from '../../src/common/unit-of-work/backoff';

describe('fullJitterDelayMs (capped exponential backoff, full jitter)', () => {
  const low = () => 0;
  const high = () => 0.999999;

  it('is 0 with the lowest random draw, at every attempt', () => {
    for (let attempt = 1; attempt <= 30; attempt++) expect(fullJitterDelayMs(attempt, 10, 250, low)).toBe(0);
  });

  it('with the highest draw, reaches base * 2^(attempt-1) and then stays at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => fullJitterDelayMs(a, 10, 250, high))).toEqual([10, 20, 40, 80, 160, 250, 250, 250]);
  });

  it('never goes below 0 or above the cap, whatever the attempt and draw', () => {
    const draws = [0, 0.1, 0.5, 0.9, 0.999999];
    for (let attempt = 0; attempt <= 64; attempt++) {
      for (const r of draws) {
        const d = fullJitterDelayMs(attempt, 10, 250, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(250);
      }
    }
  });

  it('does not overflow for huge attempt numbers (2^attempt is Infinity)', () => {
    expect(fullJitterDelayMs(5000, 10, 250, high)).toBe(250);
  });

  it('grows with the attempt for the same draw until the cap', () => {
    const delays = Array.from({ length: 10 }, (_, i) => fullJitterDelayMs(i + 1, 3, 1000, () => 0.5));
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
    expect(delays[9]).toBeGreaterThan(delays[0]);
  });

  it('a zero base or cap means no delay (tests run without sleeping)', () => {
    expect(fullJitterDelayMs(3, 0, 250, high)).toBe(0);
    expect(fullJitterDelayMs(3, 10, 0, high)).toBe(0);
  });

  it('with Math.random, stays within [0, ceiling]', () => {
    for (let i = 0; i < 1000; i++) {
      const d = fullJitterDelayMs(2, 10, 250);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(20);
    }
  });
});
