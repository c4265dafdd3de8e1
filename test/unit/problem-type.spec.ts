import { buildProblem, problemType } from '../../src/common/problem/problem';

describe('problem type URI', () => {
  it('ends with the reason word as it is when the word is URN-safe', () => {
    expect(problemType('not_found')).toBe('urn:task-execution-api:problem:not_found');
  });

  it("percent-encodes Airflow's reason words that hold spaces or other characters a URN may not; the reason member keeps the word", () => {
    expect(problemType('Missing parameter')).toBe('urn:task-execution-api:problem:Missing%20parameter');
    expect(problemType('a/b?c#d')).toBe('urn:task-execution-api:problem:a%2Fb%3Fc%23d');
    const body = buildProblem({ status: 400, reason: 'Invalid regex', detail: 'The partition_key_pattern is not a valid regular expression.' }, '/x', 'c');
    expect(body.type).toBe('urn:task-execution-api:problem:Invalid%20regex');
    expect(body.reason).toBe('Invalid regex');
    expect(body.type).not.toMatch(/\s/);
  });
});
