/** `suanli tokens create|revoke`: bearer tokens for a user. */
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { json } from '../format.ts';
import type { IssuedToken, RevokedTokens } from '../types.ts';
import { segment } from './onboarding.ts';

export function registerTokens(program: Command, ctx: Context): void {
  const tokens = program.command('tokens').description("issue and revoke users' API tokens");

  tokens
    .command('create')
    .description('issue a token for a user (yourself, a user of your tenant, or, as the operator, anyone)')
    .argument('<user>', 'user id')
    .option('--label <label>', 'what the token is for (e.g. laptop, ci)')
    .option('--json', 'print the API response as JSON')
    .addHelpText(
      'after',
      '\nThe token alone goes to standard output, so that a script can keep it: TOKEN=$(suanli tokens create bob)',
    )
    .action(async (user: string, opts: { label?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const { body } = await client.json<IssuedToken>('POST', `/users/${segment(user)}/tokens`, {
        query: { label: opts.label },
      });
      ctx.out(opts.json ? json(body) : `${body.token}\n`);
      ctx.err(`Token for ${body.userId} issued; it is shown only this once, so store it now.\n`);
    });

  tokens
    .command('revoke')
    .description("revoke all of a user's tokens")
    .argument('<user>', 'user id')
    .option('--json', 'print the API response as JSON')
    .action(async (user: string, opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (
        await ctx.client(cmd)
      ).json<RevokedTokens>('POST', `/users/${segment(user)}/tokens/revoke`);
      ctx.out(opts.json ? json(body) : `revoked ${body.revoked} token${body.revoked === 1 ? '' : 's'} of ${user}\n`);
    });
}
