/**
 * The demo federation: providers in three Anhui cities (one in northern Anhui), each with a local-engine cluster
 * that really runs jobs on this machine (virtual accelerators), and one tenant of every category.
 * Seeding is idempotent; each start issues fresh tokens, since only token hashes are stored.
 */
import type { Provider, Tenant, User } from '../core/domain.ts';
import type { LocalPoolConfig } from '../engines/local/engine.ts';
import type { Store } from '../store/index.ts';
import { hashToken, newToken } from './auth.ts';

interface DemoCluster {
  id: string;
  providerId: string;
  pools: Array<LocalPoolConfig & { fenPerAcceleratorHour: number }>;
}

const PROVIDERS: Provider[] = [
  {
    id: 'wuhu-hub',
    name: 'Wuhu Hub Computing Centre',
    city: 'Wuhu',
    regions: ['anhui', 'wuhu'],
    ownerOrganisation: 'Wuhu Data Group',
    greenPowerBasisPoints: 4500,
  },
  {
    id: 'hefei-aicc',
    name: 'Hefei AI Computing Centre',
    city: 'Hefei',
    regions: ['anhui', 'hefei'],
    ownerOrganisation: 'Hefei Municipal Investment',
    greenPowerBasisPoints: 3000,
  },
  {
    id: 'suzhou-wanbei',
    name: 'Suzhou (Anhui) Intelligent Computing',
    city: 'Suzhou',
    regions: ['anhui', 'wanbei', 'suzhou'],
    ownerOrganisation: 'Suzhou Digital Industry Co.',
    greenPowerBasisPoints: 6000,
  },
];

const nodes = (prefix: string, count: number, accelerators: number) =>
  Array.from({ length: count }, (_, i) => ({ name: `${prefix}-n${i + 1}`, accelerators }));

const CLUSTERS: DemoCluster[] = [
  {
    id: 'wuhu-1',
    providerId: 'wuhu-hub',
    pools: [
      { name: 'h100', acceleratorModel: 'H100-SXM', nodes: nodes('wuhu-h100', 2, 8), fenPerAcceleratorHour: 1800 },
      { name: '910b', acceleratorModel: 'Ascend-910B', nodes: nodes('wuhu-910b', 2, 8), fenPerAcceleratorHour: 900 },
    ],
  },
  {
    id: 'hefei-1',
    providerId: 'hefei-aicc',
    pools: [
      { name: 'a100', acceleratorModel: 'A100-80GB', nodes: nodes('hefei-a100', 2, 8), fenPerAcceleratorHour: 800 },
      { name: 'h800', acceleratorModel: 'H800', nodes: nodes('hefei-h800', 1, 8), fenPerAcceleratorHour: 1600 },
    ],
  },
  {
    id: 'suzhou-1',
    providerId: 'suzhou-wanbei',
    pools: [
      { name: 'mlu370', acceleratorModel: 'MLU370-X8', nodes: nodes('suzhou-mlu', 1, 8), fenPerAcceleratorHour: 400 },
      { name: 'k100', acceleratorModel: 'K100', nodes: nodes('suzhou-k100', 1, 8), fenPerAcceleratorHour: 500 },
    ],
  },
];

const TENANTS: Tenant[] = [
  {
    id: 'zhiyuan-llm',
    name: 'Zhiyuan LLM Co. (demo)',
    category: 'enterprise',
    regions: ['anhui', 'hefei'],
    verified: true,
    organisation: 'Zhiyuan LLM Co.',
  },
  {
    id: 'qiming-ai',
    name: 'Qiming AI Start-up (demo)',
    category: 'startup',
    regions: ['anhui', 'wanbei', 'suzhou'],
    verified: true,
    organisation: 'Qiming AI',
  },
  {
    id: 'anhui-sci-univ',
    name: 'Anhui Science University (demo)',
    category: 'university',
    regions: ['anhui', 'hefei'],
    verified: true,
    organisation: 'Anhui Science University',
  },
  {
    id: 'hefei-ai-institute',
    name: 'Hefei AI Institute (demo)',
    category: 'research-institute',
    regions: ['anhui', 'hefei'],
    verified: true,
    organisation: 'Hefei AI Institute',
  },
  {
    id: 'wuhu-gov-data',
    name: 'Wuhu Data Bureau (demo)',
    category: 'government',
    regions: ['anhui', 'wuhu'],
    verified: true,
    organisation: 'Wuhu Municipal Government',
  },
];

const USERS: User[] = [
  { id: 'office', name: 'office', role: 'operator', tenantId: null, providerId: null },
  { id: 'wuhu-admin', name: 'wuhu-admin', role: 'provider-admin', tenantId: null, providerId: 'wuhu-hub' },
  ...TENANTS.map((t): User => ({
    id: `${t.id}-admin`,
    name: `${t.id}-admin`,
    role: 'tenant-admin',
    tenantId: t.id,
    providerId: null,
  })),
  { id: 'qiming-ai-dev', name: 'qiming-ai-dev', role: 'tenant-member', tenantId: 'qiming-ai', providerId: null },
];

/** Which demo user's token stands for each role in demo-tokens.json. */
const ROLE_USERS = {
  operator: 'office',
  'provider-admin': 'wuhu-admin',
  'tenant-admin': 'qiming-ai-admin',
  'tenant-member': 'qiming-ai-dev',
} as const;

export interface DemoTokens {
  /** role → token, for scripts. */
  roles: Record<keyof typeof ROLE_USERS, string>;
  /** user name → { role, tenant, token }. */
  users: Record<string, { role: string; tenantId: string | null; token: string }>;
}

export async function seedDemo(
  store: Store,
  options: { now: Date; workDir: (clusterId: string) => string },
): Promise<DemoTokens> {
  const f = store.federation;
  for (const provider of PROVIDERS) await f.upsertProvider(provider);
  const prices = await f.pricesAt(options.now);
  for (const cluster of CLUSTERS) {
    const pools = cluster.pools.map(({ fenPerAcceleratorHour: _price, ...pool }) => pool);
    await f.upsertCluster({
      id: cluster.id,
      providerId: cluster.providerId,
      name: cluster.id,
      engine: 'local',
      config: { workDir: options.workDir(cluster.id), pools },
    });
    await f.recordInventory(
      cluster.id,
      pools.map((p) => ({
        id: `${cluster.id}:${p.name}`,
        name: p.name,
        acceleratorModel: p.acceleratorModel,
        nodes: p.nodes.map((n) => ({ ...n, state: 'idle' as const })),
      })),
      options.now,
    );
    for (const pool of cluster.pools) {
      const id = `${cluster.id}:${pool.name}`;
      if (!prices.has(id)) await f.addPrice(id, pool.fenPerAcceleratorHour, new Date('2026-01-01T00:00:00+08:00'));
    }
  }
  for (const tenant of TENANTS) {
    await f.upsertTenant(tenant);
    await f.upsertProject({ id: `${tenant.id}-demo`, tenantId: tenant.id, name: 'demo' });
    await f.upsertProject({ id: `${tenant.id}-research`, tenantId: tenant.id, name: 'research' });
  }
  const tokens: DemoTokens = { roles: {} as DemoTokens['roles'], users: {} };
  for (const user of USERS) {
    await f.upsertUser(user);
    const token = newToken();
    await f.addTokenHash(user.id, hashToken(token), 'demo');
    tokens.users[user.name] = { role: user.role, tenantId: user.tenantId, token };
  }
  for (const [role, userName] of Object.entries(ROLE_USERS)) {
    tokens.roles[role as keyof typeof ROLE_USERS] = tokens.users[userName]!.token;
  }
  return tokens;
}
