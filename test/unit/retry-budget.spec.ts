import { RetryBudget } from '../../src/common/unit-of-work/retry-budget';

describe('RetryBudget (process-wide token bucket)', () => {
  function clock(start = 1_000) {
    let now = start;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('hands out `capacity` tokens, then refuses', () => {
    const c = clock();
    const budget = new RetryBudget(3, 1, c.now);
    expect([1, 2, 3, 4].map(() => budget.tryAcquire())).toEqual([true, true, true, false]);
    expect(budget.available()).toBe(0);
  });

  it('refills at the configured rate, never above capacity', () => {
    const c = clock();
    const budget = new RetryBudget(2, 10, c.now);
    budget.tryAcquire();
    budget.tryAcquire();
    expect(budget.tryAcquire()).toBe(false);
    c.advance(99);
    expect(budget.tryAcquire()).toBe(false); // 0.99 of a token
    c.advance(1);
    expect(budget.tryAcquire()).toBe(true);
    c.advance(60_000);
    expect(budget.available()).toBe(2);
  });

  it('capacity 0 refuses every retry', () => {
    const budget = new RetryBudget(0, 20, clock().now);
    expect(budget.tryAcquire()).toBe(false);
    expect(budget.secondsUntilAvailable()).toBe(1);
  });

  it('Retry-After: seconds until the next token, at least 1', () => {
    const c = clock();
    const slow = new RetryBudget(1, 0.25, c.now);
    slow.tryAcquire();
    expect(slow.secondsUntilAvailable()).toBe(4);
    c.advance(2_000);
    expect(slow.secondsUntilAvailable()).toBe(2);
    const fast = new RetryBudget(1, 100, c.now);
    fast.tryAcquire();
    expect(fast.secondsUntilAvailable()).toBe(1);
    const none = new RetryBudget(1, 0, c.now);
    none.tryAcquire();
    expect(none.secondsUntilAvailable()).toBe(1);
  });
});
