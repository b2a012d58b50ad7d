/** `suanli users ls|add`: the people (and robots) who hold tokens. */
import { Option, type Command } from 'commander';
import { ROLES, type Role } from '../../core/domain.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { json, table } from '../format.ts';
import type { List, UserView } from '../types.ts';
import { callerTenant, orDash } from './onboarding.ts';

interface AddUserOptions {
  role: Role;
  tenant?: string;
  provider?: string;
  json?: boolean;
}

const TENANT_ROLES: readonly Role[] = ['tenant-admin', 'tenant-member'];

export function usersTable(users: readonly UserView[]): string {
  return table(
    [{ header: 'ID' }, { header: 'NAME' }, { header: 'ROLE' }, { header: 'TENANT' }, { header: 'PROVIDER' }],
    users.map((u) => [u.id, u.name, u.role, orDash(u.tenantId), orDash(u.providerId)]),
  );
}

/** The server's rules for which of --tenant and --provider a role takes, checked before asking it. */
function checkAffiliation(opts: AddUserOptions): void {
  const tenantRole = TENANT_ROLES.includes(opts.role);
  if (!tenantRole && opts.tenant !== undefined)
    throw new CliError(`--tenant is only for roles ${TENANT_ROLES.join(' and ')}, not ${opts.role}`, 2);
  if (opts.role === 'provider-admin' && opts.provider === undefined)
    throw new CliError('role provider-admin needs --provider ID', 2);
  if (opts.role !== 'provider-admin' && opts.provider !== undefined)
    throw new CliError(`--provider is only for role provider-admin, not ${opts.role}`, 2);
}

export function registerUsers(program: Command, ctx: Context): void {
  const users = program.command('users').description('list and create users');

  users
    .command('ls')
    .alias('list')
    .description('list the users you may manage (the operator: all; a tenant-admin: its tenant)')
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { body } = await (await ctx.client(cmd)).json<List<UserView>>('GET', '/users');
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? 'No users.\n' : usersTable(body.items));
    });

  users
    .command('add')
    .description('create a user; then give it a token with suanli tokens create')
    .argument('<name>', 'user name, a lowercase slug (it is also the user id)')
    .addOption(new Option('--role <role>', 'what the user may do').choices(ROLES).makeOptionMandatory())
    .option('--tenant <id>', 'the tenant, for tenant-admin and tenant-member (default: your own)')
    .option('--provider <id>', 'the provider, for provider-admin')
    .option('--json', 'print the API response as JSON')
    .action(async (name: string, opts: AddUserOptions, cmd: Command) => {
      checkAffiliation(opts);
      const client = await ctx.client(cmd);
      const tenantId = TENANT_ROLES.includes(opts.role) ? (opts.tenant ?? (await callerTenant(client))) : undefined;
      const { body } = await client.json<UserView>('POST', '/users', {
        body: JSON.stringify({ name, role: opts.role, tenantId, providerId: opts.provider }),
        headers: { 'Content-Type': 'application/json' },
      });
      const where = body.tenantId ?? body.providerId;
      ctx.out(
        opts.json ? json(body) : `user ${body.id} created (${body.role}${where === null ? '' : ` of ${where}`})\n`,
      );
    });
}
