import { ConfigError, loadConfig } from '../../src/config/app-config';

describe('WEB_CONCURRENCY', () => {
  it('defaults to one process and reads a number of workers', () => {
    expect(loadConfig({}).http.workers).toBe(1);
    expect(loadConfig({ WEB_CONCURRENCY: '4' }).http.workers).toBe(4);
  });

  it.each(['0', '65', 'two'])('rejects %s naming the variable', (value) => {
    expect(() => loadConfig({ WEB_CONCURRENCY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ WEB_CONCURRENCY: value })).toThrow(/WEB_CONCURRENCY/);
  });
});
