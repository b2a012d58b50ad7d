/** `suanli login`: check a token against the server and save both for later commands. */
import type { Command } from 'commander';
import { ApiClient } from '../client.ts';
import { DEFAULT_URL, loadConfig, normaliseUrl, saveConfig } from '../config.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import type { Whoami } from '../types.ts';

async function login(ctx: Context, opts: { tokenStdin?: boolean }, cmd: Command): Promise<void> {
  const globals = ctx.globals(cmd);
  const env = ctx.io.env;
  if (opts.tokenStdin && globals.token !== undefined) throw new CliError('give --token or --token-stdin, not both', 2);
  const token = opts.tokenStdin ? (await ctx.readStdin()).trim() : (globals.token ?? env['SUANLI_TOKEN']?.trim());
  if (token === undefined || token === '')
    throw new CliError('no token: pass --token TOKEN or --token-stdin (or set SUANLI_TOKEN)');
  const url = normaliseUrl(globals.url ?? (env['SUANLI_URL'] || (await loadConfig(env)).url || DEFAULT_URL));

  const { body: me } = await new ApiClient(url, token).json<Whoami>('GET', '/whoami');
  await saveConfig(env, { url, token });
  ctx.out(`Logged in to ${url} as ${me.name} (${me.role})\n`);
}

export function registerLogin(program: Command, ctx: Context): void {
  program
    .command('login')
    .description('check a token with the server and save the server URL and token for later commands')
    .option('--token-stdin', 'read the token from standard input (keeps it out of the shell history)')
    .addHelpText('after', '\nThe server and token come from --url and --token, or SUANLI_URL and SUANLI_TOKEN.')
    .action((opts: { tokenStdin?: boolean }, cmd: Command) => login(ctx, opts, cmd));
}
