import { ConfigError } from '../../src/config/app-config';
import { loadAppConfig } from '../../src/settings';
import { Fernet, InvalidFernetToken, MultiFernet, decodeFernetKey } from '../../src/secrets/fernet';
import { SECRETS_SETTINGS } from '../../src/secrets/secrets.settings';

/** The Fernet spec's test vector (fernet/spec `generate.json` / `verify.json`). */
const SPEC = {
  token: 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==',
  now: new Date('1985-10-26T01:20:00-07:00'),
  iv: Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]),
  src: 'hello',
  secret: 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=',
};

/**
 * Made by Python's `cryptography` (the library Airflow's `get_fernet()` uses):
 * `Fernet(OTHER_KEY)._encrypt_from_parts('snowman ☃ and a\nnewline'.encode(), 1764979200, bytes(range(16, 32)))`.
 */
const OTHER_KEY = '9LyHHttZl9qepg-b0cgShB_Wj6RlMyGcGcHFcvE6cW0=';
const PYTHON_TOKEN = 'gAAAAABpM3IAEBESExQVFhcYGRobHB0eH_MblG9XLclXw4lJokcdN15uKHjnXHvD1sEnT1aXBBcmpEkdHks3ZBNUh6dpKMc8kPolC3S1P2Nq0ZZucaJoQK4=';

/** Flips one bit of the decoded token at `index` (negative: from the end) and re-encodes it as Python would. */
function tampered(token: string, index: number): string {
  const bytes = Buffer.from(token, 'base64url');
  bytes[index < 0 ? bytes.length + index : index] ^= 1;
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

describe('Fernet (Airflow fernet_key format)', () => {
  it('generates the spec vector byte for byte from its key, time, IV and plaintext', () => {
    expect(new Fernet(SPEC.secret).encrypt(SPEC.src, SPEC.now, SPEC.iv)).toBe(SPEC.token);
  });

  it('verifies the spec vector (what Airflow wrote decrypts here)', () => {
    expect(new Fernet(SPEC.secret).decrypt(SPEC.token)).toBe('hello');
  });

  it('decrypts a token Python’s cryptography made, UTF-8 and newlines included', () => {
    expect(new Fernet(OTHER_KEY).decrypt(PYTHON_TOKEN)).toBe('snowman ☃ and a\nnewline');
  });

  it('round-trips with a fresh IV each time', () => {
    const f = new Fernet(SPEC.secret);
    const [a, b] = [f.encrypt('same'), f.encrypt('same')];
    expect(a).not.toBe(b);
    expect([f.decrypt(a), f.decrypt(b)]).toEqual(['same', 'same']);
  });

  it.each([
    ['another key', () => new Fernet(OTHER_KEY).decrypt(SPEC.token)],
    ['a flipped MAC bit', () => new Fernet(SPEC.secret).decrypt(tampered(SPEC.token, -1))],
    ['a flipped ciphertext bit', () => new Fernet(SPEC.secret).decrypt(tampered(SPEC.token, 30))],
    ['another version byte', () => new Fernet(SPEC.secret).decrypt(tampered(SPEC.token, 0))],
    ['a truncated token', () => new Fernet(SPEC.secret).decrypt(SPEC.token.slice(0, 40))],
    ['not base64', () => new Fernet(SPEC.secret).decrypt('not a token!')],
    ['an empty token', () => new Fernet(SPEC.secret).decrypt('')],
  ])('refuses %s with InvalidFernetToken', (_name, run) => {
    expect(run).toThrow(InvalidFernetToken);
  });

  it('refuses keys that are not 32 bytes of URL-safe base64', () => {
    expect(() => decodeFernetKey('short')).toThrow('must be 32 bytes in URL-safe base64 (44 characters)');
    expect(() => decodeFernetKey(SPEC.secret.replace('_', '/'))).toThrow('must be 32 bytes');
    expect(decodeFernetKey(SPEC.secret)).toHaveLength(32);
  });

  it('MultiFernet encrypts with the first key and decrypts with any (rotation)', () => {
    const rotated = new MultiFernet([OTHER_KEY, SPEC.secret]);
    expect(rotated.decrypt(SPEC.token)).toBe('hello');
    expect(rotated.decrypt(PYTHON_TOKEN)).toBe('snowman ☃ and a\nnewline');
    const written = rotated.encrypt('new');
    expect(new Fernet(OTHER_KEY).decrypt(written)).toBe('new');
    expect(() => new Fernet(SPEC.secret).decrypt(written)).toThrow(InvalidFernetToken);
    expect(() => new MultiFernet([SPEC.secret]).decrypt(PYTHON_TOKEN)).toThrow(InvalidFernetToken);
  });
});

describe('FERNET_KEY (validated at boot)', () => {
  it('takes one key or a comma-separated list, and none by default', () => {
    expect(SECRETS_SETTINGS.of(loadAppConfig({})).fernetKeys).toEqual([]);
    expect(SECRETS_SETTINGS.of(loadAppConfig({ FERNET_KEY: ` ${OTHER_KEY} , ${SPEC.secret}` })).fernetKeys).toEqual([OTHER_KEY, SPEC.secret]);
  });

  it('stops the boot naming the variable and the bad key’s position, never its value', () => {
    const bad = 'not-a-fernet-key-but-a-secret-value';
    let error: unknown;
    try {
      loadAppConfig({ FERNET_KEY: `${OTHER_KEY},${bad}` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('FERNET_KEY: key 2 must be 32 bytes in URL-safe base64 (44 characters)');
    expect((error as Error).message).not.toContain(bad);
  });
});
