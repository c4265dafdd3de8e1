import { newCorrelationId } from '../../src/common/http/correlation-id';

describe('newCorrelationId', () => {
  it('makes distinct UUIDv7s stamped with the current millisecond, across refills of its entropy pool', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => newCorrelationId()); // the pool holds 256 ids' worth
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
    // The random part really varies: no two ids share their last 12 hex digits.
    expect(new Set(ids.map((id) => id.slice(-12))).size).toBe(ids.length);
  });
});
