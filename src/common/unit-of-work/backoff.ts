/**
 * Capped exponential backoff with full jitter: a delay drawn uniformly from
 * `[0, min(maxMs, baseMs * 2^(attempt-1))]`. Full jitter spreads retries of requests that failed
 * together, so they do not collide again on the next attempt.
 *
 * @param attempt the attempt that just failed, from 1
 */
export function fullJitterDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * (ceiling + 1));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
