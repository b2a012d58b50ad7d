/** `suanli projects ls|add`: a tenant's projects (jobs name one; usage is accounted to it). */
import type { Command } from 'commander';
import type { Context } from '../context.ts';
import { json, table } from '../format.ts';
import type { List, ProjectView } from '../types.ts';
import { callerTenant, segment } from './onboarding.ts';

const TENANT_HELP = 'the tenant (default: your own)';

export function projectsTable(projects: readonly ProjectView[]): string {
  return table(
    [{ header: 'ID' }, { header: 'TENANT' }, { header: 'NAME' }],
    projects.map((p) => [p.id, p.tenantId, p.name]),
  );
}

export function registerProjects(program: Command, ctx: Context): void {
  const projects = program.command('projects').description("list and create a tenant's projects");

  projects
    .command('ls')
    .alias('list')
    .description("list a tenant's projects")
    .option('--tenant <id>', TENANT_HELP)
    .option('--json', 'print the API response as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const tenant = opts.tenant ?? (await callerTenant(client));
      const { body } = await client.json<List<ProjectView>>('GET', `/tenants/${segment(tenant)}/projects`);
      if (opts.json) return ctx.out(json(body));
      ctx.out(body.items.length === 0 ? `No projects in tenant ${tenant}.\n` : projectsTable(body.items));
    });

  projects
    .command('add')
    .description('create a project (the operator, or the tenant-admin of that tenant)')
    .argument('<name>', 'project name, a lowercase slug (e.g. llm-pretrain)')
    .option('--tenant <id>', TENANT_HELP)
    .option('--json', 'print the API response as JSON')
    .action(async (name: string, opts: { tenant?: string; json?: boolean }, cmd: Command) => {
      const client = await ctx.client(cmd);
      const tenant = opts.tenant ?? (await callerTenant(client));
      const { body } = await client.json<ProjectView>('POST', `/tenants/${segment(tenant)}/projects`, {
        body: JSON.stringify({ name }),
        headers: { 'Content-Type': 'application/json' },
      });
      ctx.out(opts.json ? json(body) : `project ${body.name} created in tenant ${body.tenantId} (id ${body.id})\n`);
    });
}
