/**
 * A process-wide token bucket for retries. Each retry takes one token; tokens come back at a fixed
 * rate up to a capacity. When the database is in trouble and every request fails, the bucket
 * empties and requests fail fast (503) instead of multiplying the load by the attempt count.
 */
export class RetryBudget {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes one token; false when the budget is empty. */
  tryAcquire(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until one token is available again (at least 1), for `Retry-After`. */
  secondsUntilAvailable(): number {
    this.refill();
    if (this.tokens >= 1 || this.refillPerSecond <= 0) return 1;
    return Math.max(1, Math.ceil((1 - this.tokens) / this.refillPerSecond));
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSecond);
    this.last = t;
  }
}
