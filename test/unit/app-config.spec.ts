import { XCOM_SETTINGS } from '../../src/xcom/xcom.settings';
import { ConfigError } from '../../src/config/app-config';
import { loadAppConfig } from '../../src/settings';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadAppConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.retry).toEqual({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 250, budgetCapacity: 100, budgetRefillPerSecond: 20 });
    expect(c.rtif.retentionDagRuns).toBe(30);
    expect(c.http.maxBodyBytes).toBe(1048576);
    expect(c.database.url).toBeUndefined();
  });

  it('names every bad variable', () => {
    expect(() => loadAppConfig({ PORT: 'eighty', DB_RETRY_MAX_ATTEMPTS: '0', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      loadAppConfig({ PORT: 'eighty', DB_RETRY_MAX_ATTEMPTS: '0', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('DB_RETRY_MAX_ATTEMPTS');
      expect(msg).toContain('DATABASE_URL');
    }
  });

  it('reads DB_ISOLATION (default read_committed) and names it when it is not a level it knows', () => {
    expect(loadAppConfig({}).database.isolation).toBe('read_committed');
    expect(loadAppConfig({ DB_ISOLATION: 'serializable' }).database.isolation).toBe('serializable');
    expect(() => loadAppConfig({ DB_ISOLATION: 'snapshot' })).toThrow(/DB_ISOLATION/);
  });

  it('reads DB_READ_REPLICA_URLS (default none) and DB_REPLICA_MAX_LAG_MS, naming a bad one without echoing it', () => {
    expect(loadAppConfig({}).database.replicas).toEqual({ urls: [], maxLagMs: 1000 });
    const two = loadAppConfig({ DB_READ_REPLICA_URLS: ' postgres://r1:5432/db , postgresql://r2/db ', DB_REPLICA_MAX_LAG_MS: '250' });
    expect(two.database.replicas).toEqual({ urls: ['postgres://r1:5432/db', 'postgresql://r2/db'], maxLagMs: 250 });
    let error: unknown;
    try {
      loadAppConfig({ DB_READ_REPLICA_URLS: 'postgres://r1/db,mysql://u:hunter2@r2/db', DB_REPLICA_MAX_LAG_MS: '5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(/[.:]/)[0]).sort()).toEqual(['DB_READ_REPLICA_URLS', 'DB_REPLICA_MAX_LAG_MS']);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('adds extra sensitive words to the defaults', () => {
    expect(loadAppConfig({ RTIF_EXTRA_SENSITIVE_FIELDS: 'Conn_URI, dsn' }).rtif.sensitiveFields).toEqual(
      expect.arrayContaining(['password', 'conn_uri', 'dsn']),
    );
  });

  it('reads the probe and shutdown settings', () => {
    expect(loadAppConfig({}).health).toEqual({ checkTimeoutMs: 1000 });
    expect(loadAppConfig({}).shutdown).toEqual({ delayMs: 0, graceMs: 20000 });
    expect(loadAppConfig({ HEALTH_CHECK_TIMEOUT_MS: '250', SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_GRACE_MS: '0' })).toEqual(
      expect.objectContaining({ health: { checkTimeoutMs: 250 }, shutdown: { delayMs: 5000, graceMs: 0 } }),
    );
    expect(() => loadAppConfig({ SHUTDOWN_GRACE_MS: '-1' })).toThrow(/SHUTDOWN_GRACE_MS/);
    expect(() => loadAppConfig({ HEALTH_CHECK_TIMEOUT_MS: '10' })).toThrow(/HEALTH_CHECK_TIMEOUT_MS/);
  });
});

describe('loadConfig: body limits and the settings feature modules declare', () => {
  it('names body limits for what they limit, and keeps the RTIF_* names as aliases', () => {
    expect(loadAppConfig({}).http).toEqual(expect.objectContaining({ maxBodyBytes: 1048576, maxJsonDepth: 64 }));
    expect(loadAppConfig({ HTTP_MAX_BODY_BYTES: '4096', HTTP_MAX_JSON_DEPTH: '8' }).http).toEqual(
      expect.objectContaining({ maxBodyBytes: 4096, maxJsonDepth: 8 }),
    );
    expect(loadAppConfig({ RTIF_MAX_BODY_BYTES: '4096', RTIF_MAX_DEPTH: '8' }).http).toEqual(expect.objectContaining({ maxBodyBytes: 4096, maxJsonDepth: 8 }));
    expect(loadAppConfig({ RTIF_MAX_BODY_BYTES: '4096', HTTP_MAX_BODY_BYTES: '4096' }).http.maxBodyBytes).toBe(4096);
    expect(() => loadAppConfig({ RTIF_MAX_BODY_BYTES: '4096', HTTP_MAX_BODY_BYTES: '8192' })).toThrow(
      /HTTP_MAX_BODY_BYTES: set to 8192, but its alias RTIF_MAX_BODY_BYTES is 4096/,
    );
  });

  it("validates a module's variables with the core ones and reads them typed through the module's definition", () => {
    expect(XCOM_SETTINGS.of(loadAppConfig({}))).toEqual({ maxValueBytes: 1048576, maxMapLength: 1024, readScope: 'any_dag' });
    expect(XCOM_SETTINGS.of(loadAppConfig({ HTTP_MAX_BODY_BYTES: '4096' }))).toEqual({ maxValueBytes: 4096, maxMapLength: 1024, readScope: 'any_dag' });
    expect(XCOM_SETTINGS.of(loadAppConfig({ XCOM_MAX_VALUE_BYTES: '100', XCOM_MAX_MAP_LENGTH: '5', XCOM_READ_SCOPE: 'same_dag' }))).toEqual({
      maxValueBytes: 100,
      maxMapLength: 5,
      readScope: 'same_dag',
    });
    try {
      loadAppConfig({ XCOM_MAX_MAP_LENGTH: 'lots', PORT: 'x', XCOM_READ_SCOPE: 'everyone' });
      throw new Error('not refused');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual(['PORT', 'XCOM_MAX_MAP_LENGTH', 'XCOM_READ_SCOPE']);
    }
    expect(() => loadAppConfig({ HTTP_MAX_BODY_BYTES: '4096', XCOM_MAX_VALUE_BYTES: '8192' })).toThrow(
      /XCOM_MAX_VALUE_BYTES: 8192 is above HTTP_MAX_BODY_BYTES \(4096\)/,
    );
  });
});
