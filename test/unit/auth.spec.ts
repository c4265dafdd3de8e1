import { calculateJwkThumbprint, exportJWK, jwtVerify, SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../../src/cli/issue-token';
import { bearerChallengeHeaders, InvalidTokenError, MissingTokenError, WrongScopeError } from '../../src/common/auth/auth.errors';
import { AcceptTokenScopes } from '../../src/common/auth/auth.decorators';
import { routeArea } from '../../src/common/auth/route-area';
import { resolveAuthConfig } from '../../src/common/auth/development-secret';
import { KeyConfigError, KeyStore } from '../../src/common/auth/key-store';
import type { VerifiedToken } from '../../src/common/auth/token-claims';
import { refreshDue } from '../../src/common/auth/token-issuer';
import { TokenVerifier } from '../../src/common/auth/token-verifier';
import { inspectJsonBody } from '../../src/common/json/json-inspection';
import { ConfigError } from '../../src/config/app-config';
import { loadAppConfig } from '../../src/settings';

describe('routeArea', () => {
  it.each([
    ['/execution/task-instances/:task_instance_id/rtif', 'execution'],
    ['execution/task-instances/:task_instance_id/run', 'execution'],
    ['/EXECUTION//task-instances/:id', 'execution'],
    ['/api/v1/task-instances', 'admin'],
    ['/api', 'admin'],
    ['/health', 'public'],
    ['/metrics', 'public'],
    ['/executions', 'public'],
    ['/apis/v1', 'public'],
    // The canonical prefixes' shortcut and the normalising path agree at their edges.
    ['/execution/', 'execution'],
    ['/execution', 'execution'],
    ['//execution/x', 'execution'],
    ['/Execution/x', 'execution'],
    ['/api/', 'admin'],
    ['/API//v1', 'admin'],
    ['/executionx/api/', 'public'],
    ['/health/execution/', 'public'],
  ])('%s → %s', (template, policy) => {
    expect(routeArea(template)).toBe(policy);
  });
});

describe('@AcceptTokenScopes', () => {
  it('refuses, when applied, an empty list and scopes that are not task-instance scopes', () => {
    expect(() => AcceptTokenScopes()).toThrow('@AcceptTokenScopes() needs at least one scope');
    expect(() => AcceptTokenScopes('execution', 'admin')).toThrow('admin is not a task-instance token scope');
    expect(() => AcceptTokenScopes('exec' as never)).toThrow('exec is not a task-instance token scope');
    expect(() => AcceptTokenScopes('execution', 'workload')).not.toThrow();
  });
});

describe('refreshDue', () => {
  const token = (scope: VerifiedToken['scope'], iat: number | undefined, exp: number): VerifiedToken => ({ sub: 's', scope, iat, exp, claims: {} });
  it.each([
    ['600 s token, 121 s left (20 % is 120 s)', token('execution', 0, 600), 479, false],
    ['600 s token, 120 s left', token('execution', 0, 600), 480, true],
    ['100 s token, 31 s left (the 30 s floor)', token('execution', 0, 100), 69, false],
    ['100 s token, 30 s left', token('execution', 0, 100), 70, true],
    ['no iat: only the 30 s floor', token('execution', undefined, 1000), 969, false],
    ['no iat, 30 s left', token('execution', undefined, 1000), 970, true],
    ['already expired (within leeway)', token('execution', 0, 600), 605, true],
    ['a workload token never', token('workload', 0, 600), 599, false],
    ['an admin token never', token('admin', 0, 600), 599, false],
  ])('%s', (_name, t, now, due) => {
    expect(refreshDue(t, now)).toBe(due);
  });
});

describe('inspectJsonBody', () => {
  const nest = (depth: number): unknown => (depth === 0 ? 'leaf' : { d: nest(depth - 1) });
  it('accepts a body exactly at the depth limit, refuses one level more', () => {
    expect(inspectJsonBody(nest(3), 3)).toBeUndefined();
    expect(inspectJsonBody(nest(4), 3)).toEqual({
      detail: 'The request body is nested too deeply.',
      path: '',
      message: 'must not be nested deeper than 3 levels',
    });
    expect(inspectJsonBody([[[1]]], 3)).toBeUndefined();
    expect(inspectJsonBody([[[[1]]]], 3)?.message).toBe('must not be nested deeper than 3 levels');
  });

  it('accepts surrogate pairs (emoji) and refuses lone surrogates in values and keys, naming the path', () => {
    expect(inspectJsonBody({ a: 'smile 🙂', '🙂': ['x'] }, 10)).toBeUndefined();
    expect(inspectJsonBody({ a: { b: [0, 'x\ud800'] } }, 10)?.path).toBe('a.b[1]');
    expect(inspectJsonBody({ a: 'x\udc00y' }, 10)?.path).toBe('a');
    expect(inspectJsonBody({ a: '\udc00\ud800' }, 10)?.path).toBe('a');
    expect(inspectJsonBody({ ['k\ud800']: 1 }, 10)?.message).toBe('property names must not contain lone surrogates (\\ud800-\\udfff)');
  });

  it('refuses an own __proto__ key (as JSON.parse creates it) at any depth, but not constructor', () => {
    expect(inspectJsonBody(JSON.parse('{"a": [{"__proto__": {"x": 1}}]}'), 10)).toEqual({
      detail: 'The request body contains a forbidden property name.',
      path: 'a[0].__proto__',
      message: 'property name __proto__ is not allowed',
    });
    expect(inspectJsonBody({ constructor: { prototype: 1 } }, 10)).toBeUndefined();
  });

  it('handles scalars and very deep bodies without recursion', () => {
    expect(inspectJsonBody(42, 1)).toBeUndefined();
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(inspectJsonBody(deep, 64)?.message).toBe('must not be nested deeper than 64 levels');
  });
});

describe('bearerChallengeHeaders', () => {
  it('builds RFC 6750 challenges and keeps quoted strings well-formed', () => {
    expect(bearerChallengeHeaders(new MissingTokenError())).toEqual({ 'WWW-Authenticate': 'Bearer realm="task-execution-api"' });
    expect(bearerChallengeHeaders(new InvalidTokenError('malformed', 'bad "quote" \\ and\nnewline'))).toEqual({
      'WWW-Authenticate': 'Bearer realm="task-execution-api", error="invalid_token", error_description="bad  quote    and newline"',
    });
    expect(bearerChallengeHeaders(new WrongScopeError('workload', ['execution']))?.['WWW-Authenticate']).toContain('error="insufficient_scope"');
  });
});

describe('KeyStore.load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tea-keystore-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const auth = (env: Record<string, string>) => loadAppConfig(env).auth;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = file('private.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const publicPem = file('public.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const SECRET = 'a-secret-that-is-at-least-32-characters';

  it('loads a secret as the signing key (HS256) and the verification key of HS256 and HS512 (Airflow signs HS512)', async () => {
    const store = await KeyStore.load(auth({ JWT_SECRET: SECRET }));
    expect(store.signing.alg).toBe('HS256');
    expect(store.verification.map((k) => [k.kid, k.alg, k.source])).toEqual([
      [undefined, 'HS256', 'JWT_SECRET'],
      [undefined, 'HS512', 'JWT_SECRET'],
    ]);
    expect(store.algorithms).toEqual(['HS256', 'HS512']);
    expect(store.warnings).toEqual([]);
  });

  it('derives the verification key from the private key: RS256 and RS512, the RSA family', async () => {
    const store = await KeyStore.load(auth({ JWT_PRIVATE_KEY_FILE: privatePem, JWT_SIGNING_KID: 'rs-1' }));
    expect(store.signing).toMatchObject({ alg: 'RS256', kid: 'rs-1' });
    expect(store.verification.map((k) => [k.kid, k.alg])).toEqual([
      ['rs-1', 'RS256'],
      ['rs-1', 'RS512'],
    ]);
    expect(store.algorithms).toEqual(['RS256', 'RS512']);
    expect(store.select('rs-1', 'RS512')).toMatchObject({ kid: 'rs-1', alg: 'RS512' });
    expect(store.select('rs-1', 'HS512')).toBe('algorithm');
  });

  it('signs EdDSA with an Ed25519 private key', async () => {
    const ed = generateKeyPairSync('ed25519');
    const store = await KeyStore.load(auth({ JWT_PRIVATE_KEY_FILE: file('ed.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) }));
    expect(store.signing.alg).toBe('EdDSA');
    expect(store.algorithms).toEqual(['EdDSA']);
  });

  it('selects a PEM public key by no kid and by its RFC 7638 thumbprint, the kid Airflow writes when [api_auth] jwt_kid is unset', async () => {
    const store = await KeyStore.load(auth({ JWT_SECRET: SECRET, JWT_PUBLIC_KEY_FILE: publicPem }));
    const thumbprint = await calculateJwkThumbprint(await exportJWK(rsa.publicKey), 'sha256');
    expect(store.select(undefined, 'RS512')).toMatchObject({ source: 'JWT_PUBLIC_KEY_FILE', alg: 'RS512' });
    expect(store.select(thumbprint, 'RS512')).toMatchObject({ source: 'JWT_PUBLIC_KEY_FILE', alg: 'RS512', thumbprint });
    expect(store.select(thumbprint, 'HS512')).toBe('algorithm');
    expect(store.select('another-kid', 'RS512')).toBe('kid');
  });

  it('verifies an EdDSA token Airflow signed with its Ed25519 key, selected by the thumbprint kid, through TokenVerifier', async () => {
    const ed = generateKeyPairSync('ed25519');
    const config = loadAppConfig({
      JWT_SECRET: SECRET,
      JWT_PUBLIC_KEY_FILE: file('ed.pub.pem', ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    });
    const verifier = new TokenVerifier(await KeyStore.load(config.auth), config);
    const kid = await calculateJwkThumbprint(await exportJWK(ed.publicKey), 'sha256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ jti: 'a1', aud: 'urn:airflow.apache.org:task', nbf: now, iat: now, exp: now + 600, sub: 'ti-1', team: 'x' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid })
      .sign(ed.privateKey);
    expect(await verifier.verify(token)).toMatchObject({ sub: 'ti-1', scope: 'execution', exp: now + 600, claims: { team: 'x' } });
    const other = generateKeyPairSync('ed25519');
    const forged = await new SignJWT({ aud: 'urn:airflow.apache.org:task', exp: now + 600, sub: 'ti-1' })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .sign(other.privateKey);
    await expect(verifier.verify(forged)).rejects.toMatchObject({ check: 'signature' });
  });

  it('accepts a secret as short as the one Airflow generates (22 characters) with a warning naming the risk, never the secret', async () => {
    const airflowSecret = 'Qm9yZWRBcmVXZUFsbDEy_w';
    expect(airflowSecret).toHaveLength(22);
    const store = await KeyStore.load(auth({ JWT_SECRET: airflowSecret }));
    expect(store.warnings).toEqual([
      'JWT_SECRET is 22 bytes, shorter than the 32 bytes RFC 7518 asks of an HS256 key: accepted so that a secret Airflow generated (22 characters) can be shared, but anyone who guesses it can mint tokens for every task instance; use 32+ random bytes (e.g. openssl rand -base64 48) in both Airflow and this service',
    ]);
    expect(store.warnings.join()).not.toContain(airflowSecret);
  });

  it('refuses a secret under 16 bytes (it cannot hold 128 random bits), counting bytes, not characters', () => {
    expect(() => loadAppConfig({ JWT_SECRET: 'fifteen-chars!!' })).toThrow('JWT_SECRET: must be at least 16 bytes (fewer cannot hold 128 random bits)');
    expect(loadAppConfig({ JWT_SECRET: 'sixteen-chars!!!' }).auth.secret).toBe('sixteen-chars!!!');
    // Eight characters of two bytes each.
    expect(loadAppConfig({ JWT_SECRET: 'éééééééé' }).auth.secret).toBe('éééééééé');
  });

  it("verifies with the public half of a JWKS's private RSA key: its private members are left out of the verification key", async () => {
    const jwk = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'rsa-private' };
    expect(Object.keys(jwk)).toEqual(expect.arrayContaining(['d', 'p', 'q', 'dp', 'dq', 'qi']));
    const store = await KeyStore.load(auth({ JWT_JWKS_FILE: file('rsa-private.json', JSON.stringify({ keys: [jwk] })), JWT_SIGNING_KID: 'rsa-private' }));
    expect(store.verification.map((k) => [k.kid, k.alg])).toEqual([
      ['rsa-private', 'RS256'],
      ['rsa-private', 'RS512'],
    ]);
    for (const { key } of store.verification) expect((key as { type?: string }).type).toBe('public');
  });

  it('signs with an oct key of the JWKS chosen by JWT_SIGNING_KID', async () => {
    const jwks = file(
      'oct.json',
      JSON.stringify({
        keys: [
          { kty: 'oct', kid: 'a', k: Buffer.from(SECRET).toString('base64url') },
          { kty: 'oct', kid: 'b', k: Buffer.from(`${SECRET}-b`).toString('base64url') },
        ],
      }),
    );
    const store = await KeyStore.load(auth({ JWT_JWKS_FILE: jwks, JWT_SIGNING_KID: 'b' }));
    expect(store.signing).toMatchObject({ alg: 'HS256', kid: 'b' });
    expect(store.select('a', 'HS256')).toMatchObject({ kid: 'a' });
    expect(store.select('a', 'RS256')).toBe('algorithm');
    expect(store.select('c', 'HS256')).toBe('kid');
    expect(store.select(undefined, 'HS256')).toBe('kid');
  });

  it.each([
    ['only a public key (nothing to sign with)', () => ({ JWT_PUBLIC_KEY_FILE: publicPem }), /^no signing key: /],
    ['an unreadable file', () => ({ JWT_PRIVATE_KEY_FILE: join(dir, 'missing.pem') }), /^JWT_PRIVATE_KEY_FILE: cannot read .*missing\.pem \(ENOENT\)$/],
    ['a private key file that is not PEM', () => ({ JWT_PRIVATE_KEY_FILE: file('junk.pem', 'junk') }), /^JWT_PRIVATE_KEY_FILE: not a PEM private key$/],
    ['a JWKS that is not JSON', () => ({ JWT_SECRET: SECRET, JWT_JWKS_FILE: file('bad.json', '{') }), /^JWT_JWKS_FILE: not valid JSON$/],
    ['an empty JWKS', () => ({ JWT_SECRET: SECRET, JWT_JWKS_FILE: file('empty.json', '{"keys": []}') }), /non-empty "keys" array/],
    [
      'an unsupported key type',
      () => ({
        JWT_SECRET: SECRET,
        JWT_JWKS_FILE: file('okp.json', '{"keys": [{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}'),
      }),
      /key #0 has an unsupported kty/,
    ],
    [
      'two keys with one kid',
      () => ({
        JWT_SECRET: SECRET,
        JWT_JWKS_FILE: file(
          'dupe.json',
          JSON.stringify({
            keys: [
              { kty: 'oct', kid: 'x', k: 'YWFh' },
              { kty: 'oct', kid: 'x', k: 'YmJi' },
            ],
          }),
        ),
      }),
      /^two verification keys share kid x/,
    ],
    [
      'two kid-less keys for one algorithm',
      () => ({ JWT_SECRET: SECRET, JWT_JWKS_FILE: file('kidless.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'YWFh' }] })) }),
      /have no kid/,
    ],
    ['JWT_ALGORITHMS without the signing algorithm', () => ({ JWT_SECRET: SECRET, JWT_ALGORITHMS: 'RS256' }), /^JWT_ALGORITHMS: does not include HS256/],
  ])('refuses %s, naming the variable and never the key', async (_name, env, message) => {
    const load = KeyStore.load(auth(env()));
    await expect(load).rejects.toThrow(KeyConfigError);
    await expect(load).rejects.toThrow(message);
    await load.catch((e: Error) => expect(e.message).not.toMatch(/-----BEGIN|a-secret-that/));
  });

  it('refuses a signing kid whose published JWKS key is not the public half of the private key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwks = file('mismatch.json', JSON.stringify({ keys: [{ ...(await exportJWK(other.publicKey)), kid: 'rs-1' }] }));
    await expect(KeyStore.load(auth({ JWT_PRIVATE_KEY_FILE: privatePem, JWT_SIGNING_KID: 'rs-1', JWT_JWKS_FILE: jwks }))).rejects.toThrow(
      /do not verify against the configured keys/,
    );
  });
});

describe('resolveAuthConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tea-devsecret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps configured keys as they are', () => {
    const config = loadAppConfig({ JWT_SECRET: 'a-secret-that-is-at-least-32-characters', DATABASE_URL: 'postgres://h/db' });
    expect(resolveAuthConfig(config, () => undefined)).toBe(config);
  });

  it('refuses to start without a key when DATABASE_URL is set, and says why', () => {
    expect(() => resolveAuthConfig(loadAppConfig({ DATABASE_URL: 'postgres://h/db' }), () => undefined)).toThrow(ConfigError);
    expect(() => resolveAuthConfig(loadAppConfig({ DATABASE_URL: 'postgres://h/db' }), () => undefined)).toThrow(
      'JWT_SECRET, JWT_PRIVATE_KEY_FILE or JWT_JWKS_FILE: required when DATABASE_URL is set',
    );
  });

  it('with the embedded database, generates a development secret once (0600, inside the data folder) and reuses it', () => {
    const config = loadAppConfig({ EMBEDDED_PG_DATA_DIR: join(dir, 'data', 'postgres') });
    const lines: string[] = [];
    const first = resolveAuthConfig(config, (l) => lines.push(l));
    const file = join(dir, 'data', 'postgres', 'dev-jwt-secret');
    expect(first.auth).toMatchObject({ secret: readFileSync(file, 'utf8').trim(), developmentSecretFile: file });
    expect(first.auth.secret!.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = resolveAuthConfig(config, (l) => lines.push(l));
    expect(second.auth.secret).toBe(first.auth.secret);
    expect(lines).toEqual([
      `generated the development JWT secret in ${file} (no JWT key configured; local use only)`,
      `using the development JWT secret in ${file} (no JWT key configured; local use only)`,
    ]);
    expect(lines.join()).not.toContain(first.auth.secret);
  });
});

describe('loadConfig: auth and CORS settings', () => {
  it("has defaults: no key, Airflow's task audience, no issuer check, 600 s execution and 86400 s workload tokens, 10 s leeway, no CORS", () => {
    const c = loadAppConfig({});
    expect(c.auth).toEqual({
      secret: undefined,
      privateKeyFile: undefined,
      publicKeyFile: undefined,
      jwksFile: undefined,
      signingKid: undefined,
      algorithms: undefined,
      audience: ['urn:airflow.apache.org:task'],
      issuer: undefined,
      leewaySeconds: 10,
      verifyCacheSize: 10000,
      executionTokenTtlSeconds: 600,
      workloadTokenTtlSeconds: 86400,
    });
    expect(c.http.corsOrigins).toEqual([]);
  });

  it('parses lists', () => {
    const c = loadAppConfig({
      JWT_ALGORITHMS: 'RS256, ES256, HS512, RS512, EdDSA',
      CORS_ORIGINS: 'https://a.example, http://localhost:3000',
      JWT_AUDIENCE: 'urn:airflow.apache.org:task, urn:Other',
      JWT_ISSUER: 'https://Airflow.example',
    });
    expect(c.auth.algorithms).toEqual(['RS256', 'ES256', 'HS512', 'RS512', 'EdDSA']);
    // Claim values keep their case: aud and iss compare exactly.
    expect(c.auth.audience).toEqual(['urn:airflow.apache.org:task', 'urn:Other']);
    expect(c.auth.issuer).toEqual(['https://Airflow.example']);
    expect(c.http.corsOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
  });

  it('names every bad auth variable without echoing a secret', () => {
    try {
      loadAppConfig({ JWT_SECRET: 'short-secret', JWT_ALGORITHMS: 'none', CORS_ORIGINS: '*', JWT_SIGNING_KID: 'has space' });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      for (const name of ['JWT_SECRET', 'JWT_ALGORITHMS', 'CORS_ORIGINS', 'JWT_SIGNING_KID']) expect(msg).toContain(name);
      expect(msg).not.toContain('short-secret');
    }
  });
});

describe('issueToken (npm run token)', () => {
  const env = { JWT_SECRET: 'a-secret-that-is-at-least-32-characters', DATABASE_URL: 'postgres://h/db' };
  const key = new TextEncoder().encode(env.JWT_SECRET);

  it('signs an admin token with the configured key and the given lifetime', async () => {
    const token = await issueToken(['admin', 'ops@example', '120'], env);
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    expect(payload).toEqual({
      sub: 'ops@example',
      scope: 'admin',
      aud: 'urn:airflow.apache.org:task',
      iat: expect.any(Number),
      nbf: expect.any(Number),
      exp: payload.iat! + 120,
      jti: expect.any(String),
    });
  });

  it('defaults task-instance tokens to the configured lifetimes', async () => {
    const { payload } = await jwtVerify(
      await issueToken(['workload', '01939b7e-0000-7000-8000-000000000000'], { ...env, JWT_WORKLOAD_TOKEN_TTL_SECONDS: '7200' }),
      key,
    );
    expect(payload.exp! - payload.iat!).toBe(7200);
  });

  it.each([[['root', 'x']], [['admin']], [['admin', 'ops', '0']], [['admin', 'ops', 'soon']]])('refuses %j with the usage', async (argv) => {
    await expect(issueToken(argv, env)).rejects.toThrow('usage: npm run token');
  });

  it('refuses to sign without a key when DATABASE_URL is set', async () => {
    await expect(issueToken(['admin', 'ops'], { DATABASE_URL: 'postgres://h/db' })).rejects.toThrow(ConfigError);
  });
});
