import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, importJWK, jwtVerify, SignJWT, type JWK, type CryptoKey } from 'jose';
import { JWT_ALGORITHMS, JWT_SECRET_RECOMMENDED_BYTES, type AppConfig, type JwtAlgorithm } from '../../config/app-config';

/**
 * A key tokens may be verified with, for one algorithm. `alg` is bound to the key: a token naming
 * another is refused. A key that verifies several algorithms of its family (a shared secret: HS256
 * and HS512; an RSA key: RS256 and RS512) is listed once per algorithm.
 */
export interface VerificationKey {
  kid: string | undefined;
  alg: JwtAlgorithm;
  key: CryptoKey | KeyObject | Uint8Array;
  /** The setting it came from, for start-up messages. */
  source: string;
  /**
   * RFC 7638 thumbprint of a PEM public key: the `kid` Airflow writes into the tokens it signs with
   * a private key when `[api_auth] jwt_kid` is unset. Such a key answers to it as well as to no kid.
   */
  thumbprint?: string;
}

/** The one key the service signs workload, refreshed and admin tokens with. */
export interface SigningKey {
  kid: string | undefined;
  alg: JwtAlgorithm;
  key: CryptoKey | KeyObject | Uint8Array;
}

/** A key setting that cannot be used; the message names the variable, never key material. */
export class KeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyConfigError';
  }
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'] as const;

/** The algorithms a key of this type verifies; the first is the one the service signs with. */
function algsOfKeyObject(key: KeyObject, variable: string): JwtAlgorithm[] {
  if (key.asymmetricKeyType === 'rsa') return ['RS256', 'RS512'];
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return ['ES256'];
  if (key.asymmetricKeyType === 'ed25519') return ['EdDSA'];
  throw new KeyConfigError(`${variable}: unsupported key type (use an RSA key for RS256/RS512, a P-256 EC key for ES256, or an Ed25519 key for EdDSA)`);
}

const SECRET_ALGS: JwtAlgorithm[] = ['HS256', 'HS512'];

function algsOfJwk(jwk: JWK, index: number): JwtAlgorithm[] {
  if (jwk.alg !== undefined) {
    if (!(JWT_ALGORITHMS as readonly string[]).includes(jwk.alg)) {
      throw new KeyConfigError(`JWT_JWKS_FILE: key #${index} has unsupported alg (supported: ${JWT_ALGORITHMS.join(', ')})`);
    }
    return [jwk.alg as JwtAlgorithm];
  }
  if (jwk.kty === 'oct') return SECRET_ALGS;
  if (jwk.kty === 'RSA') return ['RS256', 'RS512'];
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA'];
  throw new KeyConfigError(`JWT_JWKS_FILE: key #${index} has an unsupported kty/crv (oct, RSA, EC P-256 or OKP Ed25519)`);
}

/** One verification entry per algorithm of the key. */
function perAlg(algs: JwtAlgorithm[], entry: Omit<VerificationKey, 'alg'>): VerificationKey[] {
  return algs.map((alg) => ({ ...entry, alg }));
}

/** RFC 7638 thumbprint (SHA-256) of a public key, as Airflow's `key_to_jwk_dict` computes its default `kid`. */
async function thumbprintOf(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

function readText(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeyConfigError(`${variable}: cannot read ${path} (${(error as { code?: string }).code ?? 'error'})`);
  }
}

function parseKeyObject(pem: string, kind: 'private' | 'public', variable: string): KeyObject {
  try {
    return kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    throw new KeyConfigError(`${variable}: not a PEM ${kind} key`);
  }
}

async function loadJwks(path: string): Promise<{ verification: VerificationKey[]; signable: Map<string, SigningKey> }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(path, 'JWT_JWKS_FILE'));
  } catch (error) {
    if (error instanceof KeyConfigError) throw error;
    throw new KeyConfigError('JWT_JWKS_FILE: not valid JSON');
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new KeyConfigError('JWT_JWKS_FILE: must be a JWK Set with a non-empty "keys" array');
  const verification: VerificationKey[] = [];
  const signable = new Map<string, SigningKey>();
  for (const [index, jwk] of (keys as JWK[]).entries()) {
    if (jwk === null || typeof jwk !== 'object') throw new KeyConfigError(`JWT_JWKS_FILE: key #${index} is not an object`);
    if (jwk.use === 'enc') continue;
    if (jwk.kid !== undefined && typeof jwk.kid !== 'string') throw new KeyConfigError(`JWT_JWKS_FILE: key #${index} has a non-string kid`);
    const algs = algsOfJwk(jwk, index);
    const isPrivate = jwk.kty !== 'oct' && jwk.d !== undefined;
    // Verification uses the public half only; jose refuses a private key for verifying.
    const publicJwk: JWK = { ...jwk };
    for (const member of PRIVATE_JWK_MEMBERS) delete publicJwk[member];
    // WebCrypto binds an imported key to one algorithm (its hash), so each gets its own import.
    for (const alg of algs) {
      try {
        verification.push({ kid: jwk.kid, alg, key: await importJWK(publicJwk, alg), source: `JWT_JWKS_FILE key #${index}` });
      } catch {
        throw new KeyConfigError(`JWT_JWKS_FILE: key #${index} cannot be imported as ${alg}`);
      }
    }
    if (jwk.kid !== undefined && (jwk.kty === 'oct' || isPrivate)) {
      try {
        signable.set(jwk.kid, { kid: jwk.kid, alg: algs[0], key: await importJWK(jwk, algs[0]) });
      } catch {
        throw new KeyConfigError(`JWT_JWKS_FILE: key #${index} cannot be imported as ${algs[0]}`);
      }
    }
  }
  return { verification, signable };
}

/**
 * Every key the service verifies tokens with, and the one it signs with, loaded once at boot from
 * the `JWT_*` settings. Several verification keys, told apart by `kid`, let keys rotate without
 * downtime: publish the new key, switch `JWT_SIGNING_KID`, drop the old key once its tokens expire.
 */
export class KeyStore {
  private constructor(
    readonly verification: readonly VerificationKey[],
    readonly signing: SigningKey,
    /** `alg` values accepted in token headers. */
    readonly algorithms: readonly JwtAlgorithm[],
    /** Settings accepted but risky, for the start-up log (never key material). */
    readonly warnings: readonly string[] = [],
  ) {}

  static async load(auth: AppConfig['auth']): Promise<KeyStore> {
    const verification: VerificationKey[] = [];
    const warnings: string[] = [];
    let signing: SigningKey | undefined;
    let signingSource = '';

    const jwks = auth.jwksFile ? await loadJwks(auth.jwksFile) : undefined;
    if (jwks) verification.push(...jwks.verification);
    const hasKid = (kid: string | undefined) => kid !== undefined && verification.some((k) => k.kid === kid);

    if (auth.privateKeyFile) {
      const privateKey = parseKeyObject(readText(auth.privateKeyFile, 'JWT_PRIVATE_KEY_FILE'), 'private', 'JWT_PRIVATE_KEY_FILE');
      const algs = algsOfKeyObject(privateKey, 'JWT_PRIVATE_KEY_FILE');
      signing = { kid: auth.signingKid, alg: algs[0], key: privateKey };
      signingSource = 'JWT_PRIVATE_KEY_FILE';
      // A JWKS entry with the same kid is the published copy of this key; the probe below checks it.
      if (!hasKid(auth.signingKid)) {
        const publicKey = createPublicKey(privateKey);
        verification.push(
          ...perAlg(algs, {
            kid: auth.signingKid,
            key: publicKey,
            source: 'JWT_PRIVATE_KEY_FILE',
            thumbprint: auth.signingKid === undefined ? await thumbprintOf(publicKey) : undefined,
          }),
        );
      }
    } else if (auth.secret) {
      const key = new TextEncoder().encode(auth.secret);
      // The service keeps signing HS256; HS512 (Airflow's default for a shared secret) verifies too.
      signing = { kid: auth.signingKid, alg: 'HS256', key };
      signingSource = auth.developmentSecretFile ? `development secret ${auth.developmentSecretFile}` : 'JWT_SECRET';
      if (!hasKid(auth.signingKid)) verification.push(...perAlg(SECRET_ALGS, { kid: auth.signingKid, key, source: signingSource }));
      if (key.length < JWT_SECRET_RECOMMENDED_BYTES) {
        warnings.push(
          `JWT_SECRET is ${key.length} bytes, shorter than the ${JWT_SECRET_RECOMMENDED_BYTES} bytes RFC 7518 asks of an HS256 key: accepted so that a secret Airflow generated (22 characters) can be shared, but anyone who guesses it can mint tokens for every task instance; use ${JWT_SECRET_RECOMMENDED_BYTES}+ random bytes (e.g. openssl rand -base64 48) in both Airflow and this service`,
        );
      }
    } else if (auth.signingKid && jwks?.signable.has(auth.signingKid)) {
      signing = jwks.signable.get(auth.signingKid)!;
      signingSource = `JWT_JWKS_FILE kid ${auth.signingKid}`;
    }

    if (auth.publicKeyFile) {
      const publicKey = parseKeyObject(readText(auth.publicKeyFile, 'JWT_PUBLIC_KEY_FILE'), 'public', 'JWT_PUBLIC_KEY_FILE');
      verification.push(
        ...perAlg(algsOfKeyObject(publicKey, 'JWT_PUBLIC_KEY_FILE'), {
          kid: undefined,
          key: publicKey,
          source: 'JWT_PUBLIC_KEY_FILE',
          thumbprint: await thumbprintOf(publicKey),
        }),
      );
    }

    if (!signing) {
      throw new KeyConfigError(
        'no signing key: the service signs workload and refreshed tokens, so set JWT_SECRET (HS256), JWT_PRIVATE_KEY_FILE (RS256/ES256/EdDSA), or JWT_SIGNING_KID naming a private or oct key of JWT_JWKS_FILE',
      );
    }
    const kids = new Map<string, string>();
    const kidless = new Set<JwtAlgorithm>();
    for (const k of verification) {
      if (k.kid !== undefined) {
        // One key listed once per algorithm shares its kid with itself, not with another key.
        const owner = kids.get(k.kid);
        if (owner !== undefined && owner !== k.source) {
          throw new KeyConfigError(`two verification keys share kid ${k.kid} (${k.source})`);
        }
        kids.set(k.kid, k.source);
      } else {
        if (kidless.has(k.alg)) throw new KeyConfigError(`two verification keys for ${k.alg} have no kid, so tokens without kid cannot choose (${k.source})`);
        kidless.add(k.alg);
      }
    }
    const algorithms = auth.algorithms ?? [...new Set(verification.map((k) => k.alg))];
    if (!algorithms.includes(signing.alg)) {
      throw new KeyConfigError(`JWT_ALGORITHMS: does not include ${signing.alg}, the algorithm of the signing key (${signingSource})`);
    }
    // jose turns a raw secret into a KeyObject on every sign and verify; do it once here.
    const asKeyObject = <K extends { key: CryptoKey | KeyObject | Uint8Array }>(k: K): K =>
      k.key instanceof Uint8Array ? { ...k, key: createSecretKey(k.key) } : k;
    const store = new KeyStore(verification.map(asKeyObject), asKeyObject(signing), algorithms, warnings);
    await store.probe(signingSource);
    return store;
  }

  /** Fails at boot, not at the first refresh, when issued tokens would not verify here. */
  private async probe(signingSource: string): Promise<void> {
    const header = { alg: this.signing.alg, ...(this.signing.kid !== undefined ? { kid: this.signing.kid } : {}) };
    const probe = await new SignJWT({}).setProtectedHeader(header).setExpirationTime('1m').sign(this.signing.key);
    const key = this.select(this.signing.kid, this.signing.alg);
    try {
      if (typeof key === 'string') throw new Error(key);
      await jwtVerify(probe, key.key, { algorithms: [key.alg] });
    } catch {
      throw new KeyConfigError(
        `tokens signed with ${signingSource}${this.signing.kid ? ` (kid ${this.signing.kid})` : ''} do not verify against the configured keys: the key published under that kid is not its public half`,
      );
    }
  }

  /**
   * The key a token's header selects, or the failed check: `kid` when no key matches the header's
   * `kid` (or, without a `kid`, no key lacks one), `algorithm` when the key exists for another alg.
   */
  select(kid: string | undefined, alg: string): VerificationKey | 'kid' | 'algorithm' {
    if (kid !== undefined) {
      let keys = this.verification.filter((k) => k.kid === kid);
      if (keys.length === 0) keys = this.verification.filter((k) => k.kid === undefined && k.thumbprint === kid);
      if (keys.length === 0) return 'kid';
      return keys.find((k) => k.alg === alg) ?? 'algorithm';
    }
    const kidless = this.verification.filter((k) => k.kid === undefined);
    if (kidless.length === 0) return 'kid';
    return kidless.find((k) => k.alg === alg) ?? 'algorithm';
  }
}
