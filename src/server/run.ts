/** Starts a suanli server process: store, engines, API and control loop. Used by `suanli server`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createStore } from '../store/index.ts';
import { buildApp } from './app.ts';
import type { AppContext } from './context.ts';
import { hashToken, newToken } from './auth.ts';
import { loadConfig, type ServerConfig } from './config.ts';
import { DEFAULT_CONSOLE_DIR } from './console.ts';
import { ControlLoop } from './control/loop.ts';
import { shippedProgrammes } from '../money/ledger-programmes.ts';
import { seedDemo } from './demo.ts';
import { EngineRegistry } from './engines.ts';
import { createMetrics } from './metrics.ts';

export interface RunServerOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  demo?: boolean;
  databaseUrl?: string | undefined;
  configFile?: string | undefined;
  /** Where the banner goes; default stdout. */
  print?: (line: string) => void;
  /** Overrides for tests (loop timing etc.). */
  loop?: Partial<ServerConfig['loop']>;
  logLevel?: ServerConfig['logLevel'] | 'silent';
}

export interface ServerHandle {
  url: string;
  config: ServerConfig;
  loop: ControlLoop;
  close(): Promise<void>;
}

export async function runServer(options: RunServerOptions = {}): Promise<ServerHandle> {
  const config = loadConfig({
    file: options.configFile,
    env: process.env,
    overrides: {
      port: options.port,
      host: options.host,
      dataDir: options.dataDir,
      demo: options.demo,
      databaseUrl: options.databaseUrl,
    },
  });
  if (options.loop) config.loop = { ...config.loop, ...options.loop };
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const store = await createStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : join(dataDir, 'pglite'),
  });
  const clock = () => new Date();
  // Engines are built when a cluster is first used, after the app and its log exist; until then a process warning.
  let warnInLog: (message: string) => void = (message) => process.emitWarning(message);
  const engines = new EngineRegistry(dataDir, { warn: (message) => warnInLog(message) });
  let demoTokens;
  if (config.demo) {
    demoTokens = await seedDemo(store, { now: clock(), workDir: (id) => join(dataDir, 'engines', id) });
    writeFileSync(join(dataDir, 'demo-tokens.json'), `${JSON.stringify(demoTokens.roles, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(join(dataDir, 'demo-users.json'), `${JSON.stringify(demoTokens.users, null, 2)}\n`, { mode: 0o600 });
  }
  let bootstrapToken: string | undefined;
  if ((await store.federation.countOperators()) === 0) {
    // A new installation: one operator to onboard providers, tenants and users through the API or CLI.
    bootstrapToken = newToken();
    await store.federation.upsertUser({
      id: 'admin',
      name: 'admin',
      role: 'operator',
      tenantId: null,
      providerId: null,
    });
    await store.federation.addTokenHash('admin', hashToken(bootstrapToken), 'bootstrap');
    writeFileSync(join(dataDir, 'admin-token'), `${bootstrapToken}\n`, { mode: 0o600 });
  }
  const metrics = createMetrics(store);
  // Subsidies are awarded by the shipped programmes (programmes/*.yaml); a change to one is recorded in the audit log.
  const { programmes, subsidies } = await shippedProgrammes(store, clock());
  const context: AppContext = { store, engines, metrics, clock, version: '0.1.0', programmes, policy: config.policy };
  const app = await buildApp(context, {
    logger: options.logLevel === 'silent' ? false : { level: options.logLevel ?? config.logLevel },
    consoleDir: DEFAULT_CONSOLE_DIR,
  });
  warnInLog = (message) => app.log.warn(message);
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const loop = new ControlLoop({
    store,
    engines,
    subsidies,
    voucherProgrammes: programmes.filter((p) => p.kind === 'VoucherProgramme'),
    holder: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    clock,
    log: app.log,
    intervalMs: config.loop.intervalMs,
    leaseTtlMs: config.loop.leaseTtlMs,
    inventoryEveryMs: config.loop.inventoryEveryMs,
    unhealthyAfter: config.loop.unhealthyAfter,
    dispatchConcurrency: config.loop.dispatchConcurrency,
    policyConfig: config.policy,
    onTick: (report) => {
      metrics.loopTicks.inc({ leader: String(report.leader) });
      if (!report.leader) return;
      metrics.loopTickSeconds.observe(report.durationMs / 1000);
      metrics.jobsAdmitted.inc(report.admitted);
      metrics.jobsDispatched.inc(report.dispatched);
      metrics.jobsFinished.inc(report.finished);
    },
  });
  if (config.loop.enabled) {
    loop.start();
  }

  print(`suanli API listening on ${url}  (docs ${url}/docs, OpenAPI ${url}/openapi.json)`);
  print(`console: ${url}/`);
  print(`store: ${store.description}`);
  if (!config.loop.enabled) print('control loop: off here (API only); a server process with it on places the jobs');
  if (bootstrapToken) {
    print(
      `new installation: operator "admin" created; its token is in ${join(dataDir, 'admin-token')} (shown once here)`,
    );
    print(`  operator        ${bootstrapToken}`);
  }
  if (demoTokens) {
    print(`demo federation loaded; tokens written to ${join(dataDir, 'demo-tokens.json')}`);
    for (const [role, token] of Object.entries(demoTokens.roles)) print(`  ${role.padEnd(15)} ${token}`);
    print(`try:  export SUANLI_URL=${url} SUANLI_TOKEN=${demoTokens.roles['tenant-admin']}`);
    print(`      suanli submit -f examples/hello-job.yaml --watch`);
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    config,
    loop,
    close: () =>
      (closing ??= (async () => {
        await loop.stop();
        await app.close();
        await engines.close();
        await store.close();
      })()),
  };
}
