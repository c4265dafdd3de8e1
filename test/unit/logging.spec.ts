import { Writable } from 'node:stream';
import { createRootLogger, safeError } from '../../src/common/logging/logging';

describe('log hygiene', () => {
  it('serializes errors as name and codes only, never the message (driver messages hold SQL and values)', () => {
    const driverError = Object.assign(new Error('insert into "rendered_task_instance_fields" ... values (\'s3cr3t\')'), {
      name: 'UniqueConstraintViolationException',
      code: '23505',
      constraint: 'rtif_pkey',
    });
    expect(safeError(driverError)).toEqual({ type: 'UniqueConstraintViolationException', code: '23505', constraint: 'rtif_pkey' });
    expect(safeError('plain')).toBe('plain');
  });

  it('redacts authorization and cookie headers should a line ever carry them', () => {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk.toString('utf8'));
        cb();
      },
    });
    const log = createRootLogger({ logLevel: 'info' }, sink);
    log.info({ headers: { authorization: 'Bearer tok', cookie: 'session=tok', accept: 'application/json' }, err: new Error('select secret') }, 'x');
    const line = JSON.parse(out.join(''));
    expect(line.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]', accept: 'application/json' });
    expect(line.err).toEqual({ type: 'Error' });
    expect(out.join('')).not.toContain('tok');
    expect(out.join('')).not.toContain('secret');
  });
});
