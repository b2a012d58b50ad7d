/** `suanli server`: run the API server in this process until SIGINT or SIGTERM. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.ts';

interface ServerOptions {
  demo?: boolean;
  port: number;
  host: string;
  data: string;
  databaseUrl?: string;
  config?: string;
  /** false with --no-loop. */
  loop: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

async function serve(ctx: Context, opts: ServerOptions): Promise<void> {
  // Loaded on demand so that the client commands never pay for the server's dependencies.
  const { runServer } = await import('../../server/run.ts');
  const handle = await runServer({
    port: opts.port,
    host: opts.host,
    dataDir: opts.data,
    demo: opts.demo === true,
    databaseUrl: opts.databaseUrl,
    configFile: opts.config,
    ...(opts.loop ? {} : { loop: { enabled: false } }),
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // A second signal while shutting down means "now".
  const force = (): never => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  ctx.err(`suanli: ${signal}: shutting down\n`);
  await handle.close();
  process.removeListener('SIGINT', force);
  process.removeListener('SIGTERM', force);
}

export function registerServer(program: Command, ctx: Context): void {
  program
    .command('server')
    .description('run the suanli API server')
    .option('--demo', 'start with demo data (providers, clusters, tenants) and print demo tokens')
    .option('--port <port>', 'port to listen on', port, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data <dir>', 'directory for the embedded database and job files', '.data')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded database (env SUANLI_DATABASE_URL)')
    .option('--config <file>', 'platform configuration file')
    .option(
      '--no-loop',
      'serve the API only: another server process over the same PostgreSQL runs the control loop (env SUANLI_LOOP=off)',
    )
    .action((opts: ServerOptions) =>
      serve(ctx, { ...opts, databaseUrl: opts.databaseUrl ?? (ctx.io.env['SUANLI_DATABASE_URL'] || undefined) }),
    );
}
