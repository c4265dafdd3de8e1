import { ConfigError, loadConfig } from '../../src/config/app-config';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.retry).toEqual({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 250, budgetCapacity: 100, budgetRefillPerSecond: 20 });
    expect(c.rtif.retentionDagRuns).toBe(30);
    expect(c.http.maxBodyBytes).toBe(1048576);
    expect(c.database.url).toBeUndefined();
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty', DB_RETRY_MAX_ATTEMPTS: '0', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DB_RETRY_MAX_ATTEMPTS: '0', DATABASE_URL: 'mysql://x' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('DB_RETRY_MAX_ATTEMPTS');
      expect(msg).toContain('DATABASE_URL');
    }
  });

  it('adds extra sensitive words to the defaults', () => {
    expect(loadConfig({ RTIF_EXTRA_SENSITIVE_FIELDS: 'Conn_URI, dsn' }).rtif.sensitiveFields).toEqual(expect.arrayContaining(['password', 'conn_uri', 'dsn']));
  });

  it('reads the probe and shutdown settings', () => {
    expect(loadConfig({}).health).toEqual({ checkTimeoutMs: 1000 });
    expect(loadConfig({}).shutdown).toEqual({ delayMs: 0, graceMs: 20000 });
    expect(loadConfig({ HEALTH_CHECK_TIMEOUT_MS: '250', SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_GRACE_MS: '0' })).toEqual(
      expect.objectContaining({ health: { checkTimeoutMs: 250 }, shutdown: { delayMs: 5000, graceMs: 0 } }),
    );
    expect(() => loadConfig({ SHUTDOWN_GRACE_MS: '-1' })).toThrow(/SHUTDOWN_GRACE_MS/);
    expect(() => loadConfig({ HEALTH_CHECK_TIMEOUT_MS: '10' })).toThrow(/HEALTH_CHECK_TIMEOUT_MS/);
  });
});
