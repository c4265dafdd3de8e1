import { calculateJwkThumbprint, decodeJwt, exportJWK, SignJWT, type JWTHeaderParameters } from 'jose';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, problemHttp, startTestApp, uniqueId, type CreatedTi, type TestApp } from '../support/test-app';
import { expectedProblem } from '../support/problem';
import { adminToken, bearer, nowSeconds } from '../support/tokens';
import { runBody, tiRow } from './lifecycle.helpers';
import { storedXComs } from './xcom.helpers';

/**
 * Tokens minted the way an unmodified Airflow deployment mints them
 * (`airflow-core/src/airflow/api_fastapi/auth/tokens.py::JWTGenerator.generate`): claims `jti` (hex),
 * `aud` = `[execution_api] jwt_audience` (default `urn:airflow.apache.org:task`), `nbf`, `exp`, `iat`,
 * `sub` = the task instance id, `scope` for workload tokens (absent means execution); header
 * `alg` from `[api_auth] jwt_algorithm = GUESS` (HS512 for `jwt_secret`, RS512 for an RSA key,
 * EdDSA for an Ed25519 key) and, for a private key, `kid` = `[api_auth] jwt_kid` or the key's
 * RFC 7638 thumbprint. The service shares Airflow's key through its settings (docs/security.md).
 */
const AUDIENCE = 'urn:airflow.apache.org:task';
/** What `secrets.token_urlsafe(16)` gives Airflow when `jwt_secret` is not configured: 22 characters. */
const AIRFLOW_SECRET = randomBytes(16).toString('base64url');

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const ED_KID = 'airflow-ed25519-2026';

interface Minted {
  alg: 'HS512' | 'RS512' | 'EdDSA';
  key: KeyObject | Uint8Array;
  kid?: string;
}

async function airflowToken(sub: string, signer: Minted, claims: Record<string, unknown> = {}): Promise<string> {
  const now = nowSeconds();
  const header: JWTHeaderParameters = { alg: signer.alg, typ: 'JWT', ...(signer.kid !== undefined ? { kid: signer.kid } : {}) };
  const payload = Object.fromEntries(
    Object.entries({ jti: randomUUID().replaceAll('-', ''), aud: AUDIENCE, nbf: now, exp: now + 600, iat: now, sub, ...claims }).filter(
      ([, v]) => v !== undefined,
    ),
  );
  return new SignJWT(payload).setProtectedHeader(header).sign(signer.key);
}

describe('tokens an Airflow deployment mints (HS512 shared secret, RS512, EdDSA)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tea-airflow-keys-'));
  let t: TestApp;
  let signers: Record<string, Minted>;

  beforeAll(async () => {
    const publicPem = join(dir, 'airflow-rsa.pub.pem');
    writeFileSync(publicPem, rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    // What Airflow's JWKS holds for its Ed25519 key when [api_auth] jwt_kid is set.
    const jwks = join(dir, 'airflow-jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(ed.publicKey)), kid: ED_KID }] }));
    t = await startTestApp({ env: { JWT_SECRET: AIRFLOW_SECRET, JWT_PUBLIC_KEY_FILE: publicPem, JWT_JWKS_FILE: jwks } });
    signers = {
      'HS512 with the shared jwt_secret (no kid)': { alg: 'HS512', key: new TextEncoder().encode(AIRFLOW_SECRET) },
      'RS512 with kid = the key thumbprint (jwt_kid unset)': {
        alg: 'RS512',
        key: rsa.privateKey,
        kid: await calculateJwkThumbprint(await exportJWK(rsa.publicKey), 'sha256'),
      },
      'RS512 without kid': { alg: 'RS512', key: rsa.privateKey },
      'EdDSA with kid = jwt_kid': { alg: 'EdDSA', key: ed.privateKey, kid: ED_KID },
    };
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The control plane's admin tokens are signed with the shared secret too (the service signs HS256).
  const admin = async () => bearer(await adminToken({ key: new TextEncoder().encode(AIRFLOW_SECRET) }));
  const newTi = async (): Promise<CreatedTi> => {
    const res = await http<CreatedTi>(t.baseUrl, 'POST', '/api/v1/task-instances', { dag_id: uniqueId('af'), run_id: 'run_1', task_id: 'task' }, await admin());
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
    return res.body;
  };
  const tiPath = (id: string, route: string) => `/execution/task-instances/${id}/${route}`;
  const xcomPath = (ti: CreatedTi, key: string) => `/execution/xcoms/${ti.dag_id}/${ti.run_id}/${ti.task_id}/${key}`;

  it.each([
    'HS512 with the shared jwt_secret (no kid)',
    'RS512 with kid = the key thumbprint (jwt_kid unset)',
    'RS512 without kid',
    'EdDSA with kid = jwt_kid',
  ])('%s: a workload token starts the task, its execution token heartbeats, writes RTIF and XComs, reads XComs', async (name) => {
    const signer = signers[name];
    const ti = await newTi();
    const run = await http(t.baseUrl, 'PATCH', tiPath(ti.id, 'run'), runBody(), bearer(await airflowToken(ti.id, signer, { scope: 'workload' })));
    expect(run.status).toBe(200);
    // The exchange answers an execution token this service signs, for Airflow's audience.
    const exchanged = run.headers.get('refreshed-api-token')!;
    expect(decodeJwt(exchanged)).toMatchObject({ sub: ti.id, scope: 'execution', aud: AUDIENCE });

    // Airflow's execution tokens carry no scope claim: execution by default (TIClaims).
    const execution = bearer(await airflowToken(ti.id, signer));
    expect((await http(t.baseUrl, 'PUT', tiPath(ti.id, 'heartbeat'), { hostname: 'worker-1', pid: 4242 }, execution)).status).toBe(204);
    const rtif = await http(t.baseUrl, 'PUT', tiPath(ti.id, 'rtif'), { bash_command: 'echo 1' }, execution);
    expect([rtif.status, rtif.body]).toEqual([201, { message: 'Rendered task instance fields successfully set' }]);
    const set = await http(t.baseUrl, 'POST', `${xcomPath(ti, 'return_value')}?dag_result=true`, '[1,2]', execution);
    expect([set.status, set.body]).toEqual([201, { message: 'XCom successfully set' }]);
    const get = await http(t.baseUrl, 'GET', xcomPath(ti, 'return_value'), undefined, execution);
    expect([get.status, get.body]).toEqual([200, { key: 'return_value', value: [1, 2] }]);
    expect(await storedXComs(ti, 'return_value')).toEqual([{ map_index: -1, value: '[1, 2]' }]);
    // The exchanged token works too, with the same audience check.
    expect((await http(t.baseUrl, 'PUT', tiPath(ti.id, 'heartbeat'), { hostname: 'worker-1', pid: 4242 }, bearer(exchanged))).status).toBe(204);
    expect((await tiRow(ti.id))!.state).toBe('running');
  });

  const rtifWith = async (token: string) => {
    const id = randomUUID();
    return { res: await problemHttp(t.baseUrl, 'PUT', tiPath(id, 'rtif'), { a: 1 }, bearer(token)), path: tiPath(id, 'rtif'), id };
  };
  const refused = (check: string, detail: string, instance: string) => expectedProblem(401, 'invalid_token', detail, instance, { check });

  it.each([
    ['another audience', { aud: 'urn:another-service' }],
    ['no audience', { aud: undefined }],
  ])('refuses an HS512 token with %s (401 audience): Airflow checks aud, so does the service by default', async (_name, claims) => {
    const { res, path, id } = await rtifWith(await airflowToken(randomUUID(), signers['HS512 with the shared jwt_secret (no kid)'], claims));
    expect(res.status).toBe(401);
    expect(res.body).toEqual(refused('audience', 'The token audience (aud) is not this service.', path));
    expect(await tiRow(id)).toBeUndefined();
  });

  it('refuses an HS512 token signed with another secret, an RS512 token under an unknown kid, and an RSA key presented as HS512', async () => {
    const other = await rtifWith(await airflowToken(randomUUID(), { alg: 'HS512', key: new TextEncoder().encode(`${AIRFLOW_SECRET}x`) }));
    expect(other.res.body).toEqual(refused('signature', 'The token signature is not valid.', other.path));
    const unknownKid = await rtifWith(await airflowToken(randomUUID(), { alg: 'RS512', key: rsa.privateKey, kid: 'rotated-away' }));
    expect(unknownKid.res.body).toEqual(refused('kid', 'The key id (kid) of the token, or its absence, selects no configured key.', unknownKid.path));
    const thumbprint = signers['RS512 with kid = the key thumbprint (jwt_kid unset)'].kid!;
    const confused = await rtifWith(await airflowToken(randomUUID(), { alg: 'HS512', key: new TextEncoder().encode(AIRFLOW_SECRET), kid: thumbprint }));
    expect(confused.res.body).toEqual(refused('algorithm', 'The token is signed with an algorithm this service does not accept for its key.', confused.path));
  });

  it("accepts the service's own admin token on the control plane next to Airflow's keys", async () => {
    expect((await http(t.baseUrl, 'GET', '/api/v1/task-instances?limit=1', undefined, await admin())).status).toBe(200);
  });
});
