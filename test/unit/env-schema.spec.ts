import { EnvBoolean, EnvInteger, EnvOneOf, EnvProblem, EnvText, EnvVariable, EnvWordList, parseList, validateEnv } from '../../src/config/env-schema';

/** One variable of each kind the core and the modules declare, with and without a default. */
class SampleEnv {
  @EnvInteger(-1, 10) COUNT: number = 3;
  @EnvInteger(0, 5) OPTIONAL_COUNT?: number;
  @EnvBoolean() FLAG: boolean = true;
  @EnvOneOf(['a', 'b']) CHOICE: 'a' | 'b' = 'a';
  @EnvText(/^[a-z]+$/, 'must be lower-case letters') NAME?: string;
  @EnvWordList() WORDS: string[] = [];
  @EnvVariable(parseList((v) => (v.startsWith('x') ? v : new EnvProblem('must start with x')), { min: 1 })) XS?: string[];
}

const problemsOf = (env: Record<string, string>) => validateEnv(SampleEnv, env).problems;

describe('environment variables declared with the Env… decorators (class-transformer + class-validator)', () => {
  it('keeps the initializers as defaults and leaves optional variables unset', () => {
    const { value, problems } = validateEnv(SampleEnv, { UNRELATED: 'ignored' });
    expect(problems).toEqual([]);
    expect(value).toEqual(expect.objectContaining({ COUNT: 3, OPTIONAL_COUNT: undefined, FLAG: true, CHOICE: 'a', NAME: undefined, WORDS: [], XS: undefined }));
  });

  it('parses each kind from its text', () => {
    const { value, problems } = validateEnv(SampleEnv, {
      COUNT: ' -1 ',
      OPTIONAL_COUNT: '5',
      FLAG: 'No',
      CHOICE: 'b',
      NAME: ' abc ',
      WORDS: 'Conn_URI, ,dsn',
      XS: 'x1, x2',
    });
    expect(problems).toEqual([]);
    expect(value).toEqual(
      expect.objectContaining({ COUNT: -1, OPTIONAL_COUNT: 5, FLAG: false, CHOICE: 'b', NAME: 'abc', WORDS: ['conn_uri', 'dsn'], XS: ['x1', 'x2'] }),
    );
  });

  it.each([
    [{ COUNT: 'three' }, 'COUNT: must be an integer'],
    [{ COUNT: '1.5' }, 'COUNT: must be an integer'],
    [{ COUNT: '11' }, 'COUNT: must be from -1 to 10'],
    [{ OPTIONAL_COUNT: '-1' }, 'OPTIONAL_COUNT: must be from 0 to 5'],
    [{ FLAG: 'maybe' }, 'FLAG: must be true or false'],
    [{ CHOICE: 'A' }, 'CHOICE: must be one of a, b'],
    [{ NAME: '   ' }, 'NAME: must not be blank'],
    [{ NAME: 'ABC' }, 'NAME: must be lower-case letters'],
    [{ XS: ' , ' }, 'XS: must name at least one value'],
    [{ XS: 'x1, y2' }, 'XS: must start with x'],
  ])('%j fails with one message naming the variable: %s', (env, message) => {
    expect(problemsOf(env)).toEqual([message]);
  });

  it('names every bad variable at once and never echoes a value', () => {
    const problems = problemsOf({ COUNT: 'secret-1', FLAG: 'secret-2', CHOICE: 'secret-3' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['CHOICE', 'COUNT', 'FLAG']);
    expect(problems.join('\n')).not.toContain('secret');
  });
});
