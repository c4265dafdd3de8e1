import { ConfigError } from '../../src/config/app-config';
import { loadAppConfig } from '../../src/settings';

describe('WEB_CONCURRENCY', () => {
  it('defaults to one process and reads a number of workers', () => {
    expect(loadAppConfig({}).http.workers).toBe(1);
    expect(loadAppConfig({ WEB_CONCURRENCY: '4' }).http.workers).toBe(4);
  });

  it.each(['0', '65', 'two'])('rejects %s naming the variable', (value) => {
    expect(() => loadAppConfig({ WEB_CONCURRENCY: value })).toThrow(ConfigError);
    expect(() => loadAppConfig({ WEB_CONCURRENCY: value })).toThrow(/WEB_CONCURRENCY/);
  });
});
