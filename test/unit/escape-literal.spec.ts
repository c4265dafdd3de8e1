import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { escapeLiteral, ServicePostgreSqlPlatform } from '../../src/database/postgresql-driver';

/**
 * Every parameter reaches PostgreSQL as a literal this function writes (MikroORM inlines them), so
 * its output must be exactly what libpq's rule gives: node-postgres's `escapeLiteral` and MikroORM's
 * own platform are the references.
 */
describe('escapeLiteral (the service platform)', () => {
  const pgEscape = (s: string) => Client.prototype.escapeLiteral.call(null, s);
  const mikroOrm = new PostgreSqlPlatform();
  const ours = new ServicePostgreSqlPlatform();
  const alphabet = ["'", '\\', '"', 'a', 'Z', '0', ' ', '\n', '\t', '\u0001', 'é', '€', '😀', '\ud800', '$', ';', '-', '/', '*', 'E'];

  /** Deterministic pseudo-random strings (mulberry32), so a failure names a reproducible input. */
  function* strings(count: number): Generator<string> {
    let seed = 0x5eed;
    const next = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let i = 0; i < count; i++) {
      const length = Math.floor(next() * 40);
      let s = '';
      for (let j = 0; j < length; j++) s += alphabet[Math.floor(next() * alphabet.length)];
      yield s;
    }
  }

  it.each([
    ['', "''"],
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ['back\\slash', " E'back\\\\slash'"],
    ["'; drop table task_instance; --", "'''; drop table task_instance; --'"],
    ["\\'", " E'\\\\'''"],
  ])('%j → %s', (input, expected) => {
    expect(escapeLiteral(input)).toBe(expected);
    expect(pgEscape(input)).toBe(expected);
  });

  it('writes what node-postgres and MikroORM write, for 5,000 generated strings of quotes, backslashes and Unicode', () => {
    for (const s of strings(5000)) {
      const expected = pgEscape(s);
      expect(escapeLiteral(s)).toBe(expected);
      expect(ours.escape(s)).toBe(expected);
      expect(mikroOrm.escape(s)).toBe(expected);
    }
  });

  it('leaves every other kind of value to MikroORM', () => {
    const date = new Date(Date.UTC(2026, 10, 28, 6, 0, 0, 123));
    for (const value of [42, 10n, true, null, date, Buffer.from('ab'), ['x', "y'z", 3]]) {
      expect(ours.escape(value)).toEqual(mikroOrm.escape(value));
    }
  });
});
