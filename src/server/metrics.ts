/** Prometheus metrics: process defaults, HTTP latency, the control loop, and job counts read at scrape time. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/index.ts';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  loopTicks: Counter<'leader'>;
  loopTickSeconds: Histogram;
  jobsAdmitted: Counter;
  jobsDispatched: Counter;
  jobsFinished: Counter;
}

export function createMetrics(store: Store): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'suanli_process_' });
  const metrics: Metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'suanli_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    loopTicks: new Counter({
      name: 'suanli_control_loop_ticks_total',
      help: 'Control-loop ticks, by whether this process held the lease',
      labelNames: ['leader'],
      registers: [registry],
    }),
    loopTickSeconds: new Histogram({
      name: 'suanli_control_loop_tick_seconds',
      help: 'Duration of control-loop ticks that held the lease',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsAdmitted: new Counter({ name: 'suanli_jobs_admitted_total', help: 'Jobs placed', registers: [registry] }),
    jobsDispatched: new Counter({
      name: 'suanli_jobs_dispatched_total',
      help: 'Jobs handed to engines',
      registers: [registry],
    }),
    jobsFinished: new Counter({ name: 'suanli_jobs_finished_total', help: 'Runs that ended', registers: [registry] }),
  };
  new Gauge({
    name: 'suanli_jobs',
    help: 'Jobs by state (all tenants)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await store.db
        .selectFrom('jobs')
        .select((eb) => ['state', eb.fn.countAll<string>().as('n')])
        .groupBy('state')
        .execute();
      this.reset();
      for (const row of rows) this.set({ state: row.state }, Number(row.n));
    },
  });
  return metrics;
}
