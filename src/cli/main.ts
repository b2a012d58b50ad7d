/** The `suanli` command line: builds the commander program and runs it. */
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { registerChips } from './commands/chips.ts';
import { registerClusters } from './commands/clusters.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerLogin } from './commands/login.ts';
import { registerMoney } from './commands/money.ts';
import { registerProgrammes } from './commands/programmes.ts';
import { registerProjects } from './commands/projects.ts';
import { registerPrices } from './commands/prices.ts';
import { registerProviders } from './commands/providers.ts';
import { registerReconcile } from './commands/reconcile.ts';
import { registerSales } from './commands/sales.ts';
import { registerServer } from './commands/server.ts';
import { registerSubmit } from './commands/submit.ts';
import { registerTenants } from './commands/tenants.ts';
import { registerTokens } from './commands/tokens.ts';
import { registerUsage } from './commands/usage.ts';
import { registerUsers } from './commands/users.ts';
import { Context } from './context.ts';
import { CliError, oneLine } from './errors.ts';
import type { CliIo } from './io.ts';

export type { CliIo, Output } from './io.ts';

/** Usage errors exit 2 (as commander's own errors do in most CLIs); failures 1. */
const USAGE_EXIT_CODE = 2;

export function buildProgram(ctx: Context): Command {
  const program = new Command('suanli')
    .description('suanli (算力): submit and follow jobs on the provincial AI-compute platform')
    .version(pkg.version, '-V, --version')
    .option('--url <url>', 'server URL (env SUANLI_URL, else the saved login, else http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (env SUANLI_TOKEN, else the saved login)')
    // Set before the subcommands exist: commander copies these settings into each one it creates.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
      outputError: (s, write) => write(`suanli: ${oneLine(s.replace(/^error: /, ''))}\n`),
      getOutHelpWidth: () => ctx.io.stdout.columns ?? 100,
      getErrHelpWidth: () => ctx.io.stderr.columns ?? 100,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError();
  registerServer(program, ctx);
  registerLogin(program, ctx);
  registerSubmit(program, ctx);
  registerJobs(program, ctx);
  registerClusters(program, ctx);
  registerPrices(program, ctx);
  registerUsage(program, ctx);
  registerChips(program, ctx);
  registerMoney(program, ctx);
  registerSales(program, ctx);
  registerReconcile(program, ctx);
  registerProviders(program, ctx);
  registerTenants(program, ctx);
  registerProjects(program, ctx);
  registerUsers(program, ctx);
  registerTokens(program, ctx);
  registerProgrammes(program, ctx);
  return program;
}

/** Runs the CLI with `args` (the arguments after the program name, as in `process.argv.slice(2)`). */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  const ctx = new Context(io);
  try {
    await buildProgram(ctx).parseAsync(args, { from: 'user' });
    return 0;
  } catch (e) {
    // Commander has already printed its message (help, version, or a usage error).
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    if (e instanceof CliError) {
      ctx.err(`suanli: ${oneLine(e.message)}\n`);
      return e.exitCode;
    }
    ctx.err(`suanli: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 1;
  }
}
