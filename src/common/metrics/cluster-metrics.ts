import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * `/metrics` under `WEB_CONCURRENCY` > 1. The primary hands each connection to one worker, so a
 * scrape lands on a random worker; answering with that worker's own counters would make every
 * counter jump between scrapes. Instead the worker asks the primary, which collects every worker's
 * registry over the cluster's IPC channel (prom-client's `AggregatorRegistry`) and answers with
 * the sum (counters, histograms, pool gauges: the host's totals).
 */
const REQUEST = 'task-execution-api:cluster-metrics-request';
const RESPONSE = 'task-execution-api:cluster-metrics-response';
/** prom-client gives up on a worker after 5 s; the asking worker waits a little longer. */
const WORKER_WAIT_MS = 6_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: number;
}

interface MetricsResponse {
  type: typeof RESPONSE;
  id: number;
  text?: string;
  failed?: boolean;
}

/** In the cluster primary: answers workers' requests with every worker's metrics, aggregated. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Partial<MetricsRequest> | null) => {
    if (message?.type !== REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    const reply = (response: MetricsResponse) => {
      // The worker may have exited meanwhile: nobody is left to answer.
      if (worker.isConnected()) worker.send(response);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ type: RESPONSE, id, text }),
      () => reply({ type: RESPONSE, id, failed: true }),
    );
  });
}

/** True in a worker forked by `runClusterPrimary` (which serves the aggregation). */
export function isClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}

/** In a worker: publishes `registry` to the primary's aggregation and asks it for the host's metrics. */
export class ClusterMetricsClient {
  private nextId = 0;
  private readonly pending = new Map<number, (response: MetricsResponse | undefined) => void>();

  constructor(registry: Registry) {
    // Constructing an AggregatorRegistry in a worker installs prom-client's IPC responder, which
    // answers the primary with the registries given here.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
    process.on('message', (message: Partial<MetricsResponse> | null) => {
      if (message?.type !== RESPONSE || typeof message.id !== 'number') return;
      this.pending.get(message.id)?.(message as MetricsResponse);
    });
  }

  /** The aggregated metrics text, or `undefined` when the primary did not answer in time. */
  fetch(): Promise<string | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), WORKER_WAIT_MS);
      const settle = (response: MetricsResponse | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(response && !response.failed ? response.text : undefined);
      };
      this.pending.set(id, settle);
      process.send!({ type: REQUEST, id } satisfies MetricsRequest);
    });
  }
}
