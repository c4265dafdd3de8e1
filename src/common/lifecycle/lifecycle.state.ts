import { Injectable } from '@nestjs/common';

/** Whether the process is draining after SIGTERM; readiness reports 503 from then on. */
@Injectable()
export class LifecycleState {
  private draining = false;

  get shuttingDown(): boolean {
    return this.draining;
  }

  beginShutdown(): void {
    this.draining = true;
  }
}
