import { freshAsOf, parseLsn } from '../../src/common/unit-of-work/replica-monitor';

describe('replica lag from WAL positions', () => {
  it('parses pg_lsn text into comparable numbers', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('A/1')).toBe((10n << 32n) + 1n);
    expect(() => parseLsn('16B3748')).toThrow('not a pg_lsn');
  });

  it('dates a replica by the newest primary sample it has replayed', () => {
    const history = [
      { at: 1000, lsn: 100n },
      { at: 2000, lsn: 200n },
      { at: 3000, lsn: 300n },
    ];
    // Caught up with the newest sample: fresh as of that sample.
    expect(freshAsOf(history, 300n)).toBe(3000);
    expect(freshAsOf(history, 350n)).toBe(3000);
    // Between two samples: only the older one is proven replayed.
    expect(freshAsOf(history, 250n)).toBe(2000);
    // Behind every sample kept: unknown (the replica is treated as too stale).
    expect(freshAsOf(history, 99n)).toBeUndefined();
    expect(freshAsOf([], 1000n)).toBeUndefined();
    // An idle primary repeats its position: the newest sample at it counts.
    expect(
      freshAsOf(
        [
          { at: 1000, lsn: 100n },
          { at: 2000, lsn: 100n },
        ],
        100n,
      ),
    ).toBe(2000);
  });
});
