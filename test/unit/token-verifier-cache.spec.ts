import { InvalidTokenError } from '../../src/common/auth/auth.errors';
import { KeyStore } from '../../src/common/auth/key-store';
import { TokenVerifier } from '../../src/common/auth/token-verifier';
import { loadAppConfig } from '../../src/settings';
import { nowSeconds, signToken, TEST_JWT_SECRET } from '../support/tokens';

/**
 * The verified-token cache: real keys, real jose signatures. A hit is visible as the very same
 * (frozen) result object; a miss verifies again and builds a new one.
 */
describe('TokenVerifier: verified-token cache', () => {
  const verifierWith = async (env: Record<string, string> = {}) => {
    const config = loadAppConfig({ JWT_SECRET: TEST_JWT_SECRET, ...env });
    return new TokenVerifier(await KeyStore.load(config.auth), config);
  };
  const checkOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof InvalidTokenError) return error.check;
      throw error;
    }
    return 'accepted';
  };

  afterEach(() => jest.useRealTimers());

  it('answers a token seen before with the same frozen result', async () => {
    const verifier = await verifierWith();
    const token = await signToken('ti-1', 'execution');
    const first = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.claims)).toBe(true);
    expect(first).toMatchObject({ sub: 'ti-1', scope: 'execution' });
  });

  it('with JWT_VERIFY_CACHE_SIZE=0 verifies every time', async () => {
    const verifier = await verifierWith({ JWT_VERIFY_CACHE_SIZE: '0' });
    const token = await signToken('ti-1', 'execution');
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
  });

  it('keeps at most JWT_VERIFY_CACHE_SIZE tokens, dropping the least recently used', async () => {
    const verifier = await verifierWith({ JWT_VERIFY_CACHE_SIZE: '2' });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => signToken(sub, 'execution')));
    const ra = await verifier.verify(a);
    const rb = await verifier.verify(b);
    expect(await verifier.verify(a)).toBe(ra); // a is now the most recently used
    await verifier.verify(c); // evicts b
    expect(await verifier.verify(a)).toBe(ra);
    expect(await verifier.verify(b)).not.toBe(rb);
  });

  it('stops accepting a cached token at the same second an uncached one would (exp + leeway)', async () => {
    const start = nowSeconds();
    const cached = await verifierWith({ JWT_LEEWAY_SECONDS: '10' });
    const uncached = await verifierWith({ JWT_LEEWAY_SECONDS: '10', JWT_VERIFY_CACHE_SIZE: '0' });
    const token = await signToken('ti-1', 'execution', { claims: { iat: start, nbf: start, exp: start + 5 } });
    await cached.verify(token);

    jest.useFakeTimers({ now: (start + 14) * 1000 + 999, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    expect(await checkOf(cached.verify(token))).toBe('accepted');
    expect(await checkOf(uncached.verify(token))).toBe('accepted');

    jest.setSystemTime((start + 15) * 1000);
    expect(await checkOf(uncached.verify(token))).toBe('expired');
    expect(await checkOf(cached.verify(token))).toBe('expired');
  });

  it('never answers a different token text from the cache, even with the same claims', async () => {
    const verifier = await verifierWith();
    const token = await signToken('ti-1', 'execution');
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
    expect(await checkOf(verifier.verify(`${header}.${payload}.${flipped}`))).toBe('signature');
    // ...and a failure is not remembered: the genuine token still passes.
    expect(await checkOf(verifier.verify(token))).toBe('accepted');
  });

  it('does not cache failures: a refused token is checked again each time', async () => {
    const verifier = await verifierWith();
    const expired = await signToken('ti-1', 'execution', { claims: { iat: nowSeconds() - 7200, nbf: nowSeconds() - 7200, exp: nowSeconds() - 3600 } });
    expect(await checkOf(verifier.verify(expired))).toBe('expired');
    expect(await checkOf(verifier.verify(expired))).toBe('expired');
  });
});
