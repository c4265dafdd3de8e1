import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { LifecycleState } from '../lifecycle/lifecycle.state';
import { DomainError } from '../problem/domain-error';
import { DatabaseHealthIndicator } from './database.health';

/** Seconds a prober (or a client) should wait before asking again after a failed readiness check. */
const READY_RETRY_AFTER_SECONDS = 5;

/**
 * Probes for orchestrators. Public and outside `/api` and `/execution`, so no API credentials apply.
 * A failed check is a 503 problem with `Retry-After`, like every other refusal of this service.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: DatabaseHealthIndicator,
    private readonly lifecycle: LifecycleState,
  ) {}

  /** The process runs and its event loop answers. Never touches the database: a database outage
   * must not make an orchestrator restart every replica. */
  @Get('live')
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** The database answers within `HEALTH_CHECK_TIMEOUT_MS`, no migration is pending, and the
   * process is not draining. */
  @Get('ready')
  async ready(): Promise<HealthCheckResult> {
    if (this.lifecycle.shuttingDown) {
      throw new DomainError('not_ready', 'The service is shutting down.', 'shutting_down', {}, READY_RETRY_AFTER_SECONDS);
    }
    try {
      return await this.health.check([() => this.db.database(), () => this.db.migrations()]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const database = result.details?.database?.status ?? 'down';
      const migrations = result.details?.migrations?.status === 'up' ? 'applied' : result.details?.migrations?.pending !== undefined ? 'pending' : 'unknown';
      throw new DomainError(
        'not_ready',
        database === 'up' ? 'Database migrations are pending.' : 'The database is unreachable.',
        'not_ready',
        { database, migrations },
        READY_RETRY_AFTER_SECONDS,
      );
    }
  }
}
