import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';

class CheckTimeout extends Error {
  constructor() {
    super('check timed out');
    this.name = 'CheckTimeout';
  }
}

/** Rejects after `ms`; the abandoned query ends by itself within the pool's acquire timeout. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CheckTimeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness checks: the database answers, and no migration is pending. */
@Injectable()
export class DatabaseHealthIndicator {
  /** Once the schema was seen up to date it stays so for this process (migrations only add). */
  private migrationsApplied = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly indicator: HealthIndicatorService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A `select 1` through the pool, bounded by `HEALTH_CHECK_TIMEOUT_MS`. Not terminus's
   * `MikroOrmHealthIndicator`: its ping is MikroORM's `isConnected()`, which answers false until
   * the ORM's lazy connection has been used once, so a fresh replica probed before its first
   * request reported the database down (503) although it answers.
   */
  async database(): Promise<HealthIndicatorResult<'database'>> {
    const check = this.indicator.check('database');
    try {
      await within(this.config.health.checkTimeoutMs, this.orm.em.getConnection().execute('select 1'));
      return check.up();
    } catch (error) {
      // Only the kind of failure: driver messages may hold connection details.
      return check.down({ error: error instanceof CheckTimeout ? 'timeout' : 'unreachable' });
    }
  }

  async migrations(): Promise<HealthIndicatorResult<'migrations'>> {
    const check = this.indicator.check('migrations');
    if (this.migrationsApplied) return check.up();
    try {
      const pending = await within(this.config.health.checkTimeoutMs, this.orm.migrator.getPending());
      if (pending.length === 0) {
        this.migrationsApplied = true;
        return check.up();
      }
      return check.down({ pending: pending.length });
    } catch (error) {
      return check.down({ error: error instanceof CheckTimeout ? 'timeout' : 'unknown' });
    }
  }
}
