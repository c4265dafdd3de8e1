import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Fernet (https://github.com/fernet/spec), the format of Airflow's `[core] fernet_key` (Python's
 * `cryptography.fernet.Fernet`): AES-128-CBC with PKCS#7 padding, authenticated by HMAC-SHA256 over
 * `0x80 ‖ timestamp ‖ iv ‖ ciphertext`, the whole token in URL-safe base64. Written on Node's
 * crypto because the npm implementations are unmaintained (docs/security.md says which and why).
 * Tokens never expire here, as Airflow decrypts without a `ttl`.
 */
const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const HMAC_BYTES = 32;

/** A token that is malformed, was made with another key, or was altered: Python's `InvalidToken`. */
export class InvalidFernetToken extends Error {
  override readonly name = 'InvalidFernetToken';
  constructor() {
    super('The Fernet token is not valid for any configured key.');
  }
}

/** Decodes a key as Python's `Fernet(key)` does: URL-safe base64 of 32 bytes. Throws a message naming what is wrong. */
export function decodeFernetKey(key: string): Buffer {
  if (!/^[A-Za-z0-9_-]{43}=?$/.test(key)) throw new Error('must be 32 bytes in URL-safe base64 (44 characters)');
  return Buffer.from(key, 'base64url');
}

export class Fernet {
  private readonly signing: Buffer;
  private readonly encryption: Buffer;

  constructor(key: string) {
    const raw = decodeFernetKey(key);
    this.signing = raw.subarray(0, 16);
    this.encryption = raw.subarray(16, 32);
  }

  /** Encrypts `plaintext` (UTF-8); `at` and `iv` only for reproducing the spec's vectors. */
  encrypt(plaintext: string, at: Date = new Date(), iv: Buffer = randomBytes(16)): string {
    const cipher = createCipheriv('aes-128-cbc', this.encryption, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const header = Buffer.alloc(9);
    header.writeUInt8(VERSION, 0);
    header.writeBigUInt64BE(BigInt(Math.floor(at.getTime() / 1000)), 1);
    const signed = Buffer.concat([header, iv, body]);
    const mac = createHmac('sha256', this.signing).update(signed).digest();
    // Python's urlsafe_b64encode keeps the padding; Airflow stores tokens with it.
    return Buffer.concat([signed, mac]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  }

  /** Decrypts a token to its UTF-8 text; `InvalidFernetToken` if this key did not make it or it was altered. */
  decrypt(token: string): string {
    if (!/^[A-Za-z0-9_-]+=*$/.test(token)) throw new InvalidFernetToken();
    const data = Buffer.from(token, 'base64url');
    if (data.length < HEADER + 16 + HMAC_BYTES || data[0] !== VERSION || (data.length - HEADER - HMAC_BYTES) % 16 !== 0) throw new InvalidFernetToken();
    const signed = data.subarray(0, data.length - HMAC_BYTES);
    const mac = createHmac('sha256', this.signing).update(signed).digest();
    if (!timingSafeEqual(mac, data.subarray(data.length - HMAC_BYTES))) throw new InvalidFernetToken();
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.encryption, data.subarray(9, HEADER));
      return Buffer.concat([decipher.update(data.subarray(HEADER, data.length - HMAC_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new InvalidFernetToken();
    }
  }
}

/**
 * Python's `MultiFernet`, which Airflow builds from a comma-separated `fernet_key`: encrypts with
 * the first key, decrypts with whichever key made the token, so a key can be rotated in by putting
 * it first and rotated out once every value was re-encrypted.
 */
export class MultiFernet {
  private readonly keys: Fernet[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('MultiFernet needs at least one key');
    this.keys = keys.map((k) => new Fernet(k));
  }

  encrypt(plaintext: string): string {
    return this.keys[0].encrypt(plaintext);
  }

  decrypt(token: string): string {
    for (const key of this.keys) {
      try {
        return key.decrypt(token);
      } catch (error) {
        if (!(error instanceof InvalidFernetToken)) throw error;
      }
    }
    throw new InvalidFernetToken();
  }
}
