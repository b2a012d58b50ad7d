import { afterEach, describe, expect, it } from 'vitest';
import { basisPointsAsPercent, percentToBasisPoints } from '../../src/cli/commands/onboarding.ts';
import type { ProviderView, TenantView, UserView } from '../../src/cli/types.ts';
import { api, fakeApi, run, type FakeApi, type Recorded, type Reply } from './helpers.ts';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function cells(line: string | undefined): string[] {
  return (line ?? '').trim().split(/\s{2,}/);
}

function lines(text: string): string[] {
  return text.trimEnd().split('\n');
}

const ADMIN: UserView = { id: 'alice', name: 'alice', role: 'tenant-admin', tenantId: 'qiming-ai', providerId: null };
const OFFICE: UserView = { id: 'office', name: 'office', role: 'operator', tenantId: null, providerId: null };

/** A fake API that answers whoami as `me` and every other request with `reply` (201 for POSTs). */
async function serve(reply: (req: Recorded) => Reply, me: UserView = ADMIN): Promise<FakeApi> {
  return fakeApi((req) => {
    if (req.path === '/api/v1/whoami') return { json: me };
    const answer = reply(req);
    return answer !== 'drop' && req.method === 'POST' && answer.status === undefined
      ? { ...answer, status: 201 }
      : answer;
  });
}

/** The recorded requests other than whoami. */
function calls(f: FakeApi): Recorded[] {
  return f.requests.filter((r) => r.path !== '/api/v1/whoami');
}

function sentJson(r: Recorded | undefined): unknown {
  expect(r?.headers['content-type']).toBe('application/json');
  return JSON.parse(r?.body ?? '');
}

const PROVIDER: ProviderView = {
  id: 'hefei-aicc',
  name: '合肥智算中心',
  city: 'Hefei',
  regions: ['anhui', 'wanbei'],
  ownerOrganisation: 'Hefei Big Data Co.',
  greenPowerBasisPoints: 1250,
};

const TENANT: TenantView = {
  id: 'qiming-ai',
  name: 'Qiming AI',
  category: 'startup',
  regions: [],
  verified: true,
  organisation: 'Qiming AI Ltd.',
};

describe('percent to basis points', () => {
  it('converts exactly, with up to two decimals', () => {
    expect(percentToBasisPoints('12.5')).toBe(1250);
    expect(percentToBasisPoints('12.50')).toBe(1250);
    expect(percentToBasisPoints('0.05')).toBe(5);
    expect(percentToBasisPoints('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in binary floating point
    expect(percentToBasisPoints('100')).toBe(10_000);
    expect(percentToBasisPoints('007')).toBe(700);
    expect(percentToBasisPoints('0')).toBe(0);
  });

  it('rejects more decimals, out-of-range values and non-numbers', () => {
    for (const bad of ['12.345', '100.01', '101', '1000', '-1', '', '.5', '5.', '1e2', 'ten', '12,5'])
      expect(() => percentToBasisPoints(bad), bad).toThrow(/percentage from 0 to 100/);
  });

  it('prints basis points as a percentage', () => {
    expect([1250, 10_000, 5, 0, 1234].map(basisPointsAsPercent)).toEqual(['12.5%', '100%', '0.05%', '0%', '12.34%']);
  });
});

describe('suanli providers', () => {
  it('lists providers in a table', async () => {
    fake = await serve(() => ({
      json: { items: [PROVIDER, { ...PROVIDER, id: 'wuhu', regions: [], greenPowerBasisPoints: 0 }] },
    }));
    const r = await run(['providers', 'ls'], { env: api(fake) });
    expect(r.code).toBe(0);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/providers' });
    const out = lines(r.stdout);
    expect(cells(out[0])).toEqual(['ID', 'NAME', 'CITY', 'REGIONS', 'OWNER', 'GREEN POWER']);
    expect(cells(out[1])).toEqual([
      'hefei-aicc',
      '合肥智算中心',
      'Hefei',
      'anhui,wanbei',
      'Hefei Big Data Co.',
      '12.5%',
    ]);
    expect(cells(out[2])).toEqual(['wuhu', '合肥智算中心', 'Hefei', '-', 'Hefei Big Data Co.', '0%']);
  });

  it('prints the API response with --json, and says so when there are none', async () => {
    fake = await serve(() => ({ json: { items: [PROVIDER] } }));
    expect(JSON.parse((await run(['providers', 'ls', '--json'], { env: api(fake) })).stdout)).toEqual({
      items: [PROVIDER],
    });
    await fake.close();
    fake = await serve(() => ({ json: { items: [] } }));
    expect((await run(['providers', 'list'], { env: api(fake) })).stdout).toBe('No providers.\n');
  });

  it('registers a provider, the green-power percentage as exact basis points', async () => {
    fake = await serve((req) => ({ json: JSON.parse(req.body) as unknown }));
    const r = await run(
      [
        'providers',
        'add',
        '--id',
        'hefei-aicc',
        '--name',
        '合肥智算中心',
        '--city',
        'Hefei',
        '--region',
        'anhui',
        '--region',
        'wanbei',
        '--owner',
        'Hefei Big Data Co.',
        '--green-power-percent',
        '12.5',
      ],
      { env: api(fake) },
    );
    expect(r).toEqual({ code: 0, stdout: 'provider hefei-aicc registered\n', stderr: '' });
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/providers' });
    expect(sentJson(fake.requests[0])).toEqual(PROVIDER);
  });

  it('sends no regions and 0 basis points by default, and takes comma-separated regions', async () => {
    fake = await serve((req) => ({ json: JSON.parse(req.body) as unknown }));
    const base = ['providers', 'add', '--id', 'p', '--name', 'P', '--city', 'Wuhu', '--owner', 'O'];
    expect((await run(base, { env: api(fake) })).code).toBe(0);
    expect(sentJson(fake.requests[0])).toMatchObject({ regions: [], greenPowerBasisPoints: 0 });
    const r = await run([...base, '--region', 'anhui,wanbei', '--green-power-percent', '100', '--json'], {
      env: api(fake),
    });
    expect(sentJson(fake.requests[1])).toMatchObject({ regions: ['anhui', 'wanbei'], greenPowerBasisPoints: 10_000 });
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'p', greenPowerBasisPoints: 10_000 });
  });

  it('rejects a percentage with three decimals as a usage error, sending nothing', async () => {
    fake = await serve(() => ({ json: {} }));
    const r = await run(
      [
        'providers',
        'add',
        '--id',
        'p',
        '--name',
        'P',
        '--city',
        'C',
        '--owner',
        'O',
        '--green-power-percent',
        '12.345',
      ],
      { env: api(fake) },
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^suanli: .*--green-power-percent.*at most two decimals.*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(fake.requests).toHaveLength(0);
  });

  it('needs --owner (exit 2)', async () => {
    fake = await serve(() => ({ json: {} }));
    const r = await run(['providers', 'add', '--id', 'p', '--name', 'P', '--city', 'C'], { env: api(fake) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("suanli: required option '--owner <organisation>' not specified\n");
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a conflict from the server on one line (exit 1)', async () => {
    fake = await serve(() => ({
      status: 409,
      json: {
        type: '/problems/already-exists',
        title: 'Conflict',
        status: 409,
        detail: 'provider hefei-aicc (or its name)\nalready exists',
      },
    }));
    const r = await run(['providers', 'add', '--id', 'hefei-aicc', '--name', 'P', '--city', 'C', '--owner', 'O'], {
      env: api(fake),
    });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'suanli: Conflict: provider hefei-aicc (or its name) already exists\n',
    });
  });
});

describe('suanli tenants', () => {
  it('lists tenants in a table', async () => {
    fake = await serve(() => ({
      json: { items: [TENANT, { ...TENANT, id: 'hfut', category: 'university', regions: ['anhui'], verified: false }] },
    }));
    const r = await run(['tenants', 'ls'], { env: api(fake) });
    expect(r.code).toBe(0);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/tenants' });
    const out = lines(r.stdout);
    expect(cells(out[0])).toEqual(['ID', 'NAME', 'CATEGORY', 'REGIONS', 'VERIFIED', 'ORGANISATION']);
    expect(cells(out[1])).toEqual(['qiming-ai', 'Qiming AI', 'startup', '-', 'yes', 'Qiming AI Ltd.']);
    expect(cells(out[2])).toEqual(['hfut', 'Qiming AI', 'university', 'anhui', 'no', 'Qiming AI Ltd.']);
  });

  it('registers a tenant; --verified sets verified, its absence sends false', async () => {
    fake = await serve((req) => ({ json: JSON.parse(req.body) as unknown }));
    const args = ['tenants', 'add', '--id', 'qiming-ai', '--name', 'Qiming AI', '--category', 'startup'];
    const r = await run([...args, '--organisation', 'Qiming AI Ltd.', '--verified'], { env: api(fake) });
    expect(r).toEqual({ code: 0, stdout: 'tenant qiming-ai registered\n', stderr: '' });
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/tenants' });
    expect(sentJson(fake.requests[0])).toEqual(TENANT);

    await run([...args, '--organisation', 'O', '--region', 'anhui'], { env: api(fake) });
    expect(sentJson(fake.requests[1])).toMatchObject({ verified: false, regions: ['anhui'] });
  });

  it('rejects an unknown category locally, naming the choices (exit 2)', async () => {
    fake = await serve(() => ({ json: {} }));
    const r = await run(
      ['tenants', 'add', '--id', 't', '--name', 'T', '--category', 'company', '--organisation', 'O'],
      { env: api(fake) },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "suanli: option '--category <category>' argument 'company' is invalid. Allowed choices are enterprise, startup, university, research-institute, government.\n",
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('needs --category (exit 2)', async () => {
    fake = await serve(() => ({ json: {} }));
    const r = await run(['tenants', 'add', '--id', 't', '--name', 'T', '--organisation', 'O'], { env: api(fake) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^suanli: required option '--category <category>' not specified\n$/);
  });
});

describe('suanli projects', () => {
  const PROJECTS = [
    { id: 'qiming-ai-demo', tenantId: 'qiming-ai', name: 'demo' },
    { id: 'qiming-ai-research', tenantId: 'qiming-ai', name: 'research' },
  ];

  it("lists the caller's tenant's projects by default", async () => {
    fake = await serve(() => ({ json: { items: PROJECTS } }));
    const r = await run(['projects', 'ls'], { env: api(fake) });
    expect(r.code).toBe(0);
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'GET /api/v1/whoami',
      'GET /api/v1/tenants/qiming-ai/projects',
    ]);
    const out = lines(r.stdout);
    expect(cells(out[0])).toEqual(['ID', 'TENANT', 'NAME']);
    expect(cells(out[1])).toEqual(['qiming-ai-demo', 'qiming-ai', 'demo']);
    expect(cells(out[2])).toEqual(['qiming-ai-research', 'qiming-ai', 'research']);
  });

  it('lists another tenant with --tenant, without asking whoami', async () => {
    fake = await serve(() => ({ json: { items: [] } }), OFFICE);
    const r = await run(['projects', 'ls', '--tenant', 'hfut'], { env: api(fake) });
    expect(r).toEqual({ code: 0, stdout: 'No projects in tenant hfut.\n', stderr: '' });
    expect(fake.requests.map((q) => q.path)).toEqual(['/api/v1/tenants/hfut/projects']);
  });

  it('creates a project in the caller’s tenant, or the one named', async () => {
    fake = await serve((req) => {
      const tenantId = req.path.split('/')[4] ?? '';
      const { name } = JSON.parse(req.body) as { name: string };
      return { json: { id: `${tenantId}-${name}`, tenantId, name } };
    });
    const r = await run(['projects', 'add', 'llm'], { env: api(fake) });
    expect(r).toEqual({ code: 0, stdout: 'project llm created in tenant qiming-ai (id qiming-ai-llm)\n', stderr: '' });
    expect(calls(fake)[0]).toMatchObject({ method: 'POST', path: '/api/v1/tenants/qiming-ai/projects' });
    expect(sentJson(calls(fake)[0])).toEqual({ name: 'llm' });

    const j = await run(['projects', 'add', 'vision', '--tenant', 'hfut', '--json'], { env: api(fake) });
    expect(calls(fake)[1]).toMatchObject({ method: 'POST', path: '/api/v1/tenants/hfut/projects' });
    expect(JSON.parse(j.stdout)).toEqual({ id: 'hfut-vision', tenantId: 'hfut', name: 'vision' });
  });

  it('asks for --tenant when the caller belongs to no tenant (exit 2)', async () => {
    fake = await serve(() => ({ json: { items: [] } }), OFFICE);
    const r = await run(['projects', 'add', 'llm'], { env: api(fake) });
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'suanli: office (operator) belongs to no tenant: give --tenant ID\n',
    });
    expect(calls(fake)).toHaveLength(0);
  });
});

describe('suanli users', () => {
  it('lists users in a table', async () => {
    const items: UserView[] = [
      ADMIN,
      { id: 'wuhu-admin', name: 'wuhu-admin', role: 'provider-admin', tenantId: null, providerId: 'wuhu' },
    ];
    fake = await serve(() => ({ json: { items } }));
    const r = await run(['users', 'ls'], { env: api(fake) });
    expect(r.code).toBe(0);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/users' });
    const out = lines(r.stdout);
    expect(cells(out[0])).toEqual(['ID', 'NAME', 'ROLE', 'TENANT', 'PROVIDER']);
    expect(cells(out[1])).toEqual(['alice', 'alice', 'tenant-admin', 'qiming-ai', '-']);
    expect(cells(out[2])).toEqual(['wuhu-admin', 'wuhu-admin', 'provider-admin', '-', 'wuhu']);
  });

  const echoUser = (req: Recorded): Reply => {
    const b = JSON.parse(req.body) as { name: string; role: string; tenantId?: string; providerId?: string };
    return {
      json: { id: b.name, name: b.name, role: b.role, tenantId: b.tenantId ?? null, providerId: b.providerId ?? null },
    };
  };

  it("creates a tenant member in the caller's tenant by default", async () => {
    fake = await serve(echoUser);
    const r = await run(['users', 'add', 'bob', '--role', 'tenant-member'], { env: api(fake) });
    expect(r).toEqual({ code: 0, stdout: 'user bob created (tenant-member of qiming-ai)\n', stderr: '' });
    expect(calls(fake)[0]).toMatchObject({ method: 'POST', path: '/api/v1/users' });
    expect(sentJson(calls(fake)[0])).toEqual({ name: 'bob', role: 'tenant-member', tenantId: 'qiming-ai' });
  });

  it('creates a tenant admin of a named tenant and a provider admin without asking whoami', async () => {
    fake = await serve(echoUser, OFFICE);
    await run(['users', 'add', 'carol', '--role', 'tenant-admin', '--tenant', 'hfut'], { env: api(fake) });
    const r = await run(['users', 'add', 'dave', '--role', 'provider-admin', '--provider', 'wuhu', '--json'], {
      env: api(fake),
    });
    expect(fake.requests.map((q) => q.path)).toEqual(['/api/v1/users', '/api/v1/users']);
    expect(sentJson(fake.requests[0])).toEqual({ name: 'carol', role: 'tenant-admin', tenantId: 'hfut' });
    expect(sentJson(fake.requests[1])).toEqual({ name: 'dave', role: 'provider-admin', providerId: 'wuhu' });
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'dave', providerId: 'wuhu', tenantId: null });
  });

  it('rejects an unknown role locally, naming the choices (exit 2)', async () => {
    fake = await serve(echoUser);
    const r = await run(['users', 'add', 'bob', '--role', 'admin'], { env: api(fake) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "suanli: option '--role <role>' argument 'admin' is invalid. Allowed choices are operator, provider-admin, tenant-admin, tenant-member.\n",
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('checks which of --tenant and --provider the role takes before asking the server (exit 2)', async () => {
    fake = await serve(echoUser);
    const cases: [string[], string][] = [
      [['--role', 'provider-admin'], 'suanli: role provider-admin needs --provider ID\n'],
      [
        ['--role', 'operator', '--tenant', 't'],
        'suanli: --tenant is only for roles tenant-admin and tenant-member, not operator\n',
      ],
      [
        ['--role', 'tenant-member', '--provider', 'p'],
        'suanli: --provider is only for role provider-admin, not tenant-member\n',
      ],
    ];
    for (const [args, stderr] of cases)
      expect(await run(['users', 'add', 'bob', ...args], { env: api(fake) })).toEqual({ code: 2, stdout: '', stderr });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('suanli tokens', () => {
  it('prints the new token alone on stdout and a shown-once note on stderr', async () => {
    fake = await serve((req) => ({
      json: { userId: 'bob', token: 'sl_secret123', label: req.query.get('label') ?? '' },
    }));
    const r = await run(['tokens', 'create', 'bob', '--label', 'ci runner'], { env: api(fake) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('sl_secret123\n');
    expect(r.stderr).toMatch(/^Token for bob issued; it is shown only this once/);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/users/bob/tokens', body: '' });
    expect(fake.requests[0]?.query.get('label')).toBe('ci runner');
  });

  it('sends no label when none is given, and prints the API response with --json', async () => {
    fake = await serve(() => ({ json: { userId: 'bob', token: 'sl_x', label: '' } }));
    const r = await run(['tokens', 'create', 'bob', '--json'], { env: api(fake) });
    expect(fake.requests[0]?.query.has('label')).toBe(false);
    expect(JSON.parse(r.stdout)).toEqual({ userId: 'bob', token: 'sl_x', label: '' });
  });

  it("revokes all of a user's tokens", async () => {
    fake = await serve(() => ({ status: 200, json: { revoked: 2 } }));
    const r = await run(['tokens', 'revoke', 'bob'], { env: api(fake) });
    expect(r).toEqual({ code: 0, stdout: 'revoked 2 tokens of bob\n', stderr: '' });
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/users/bob/tokens/revoke' });
  });

  it('reports an unknown user on one line (exit 1)', async () => {
    fake = await serve(() => ({
      status: 404,
      json: { type: '/problems/not-found', title: 'Not Found', status: 404, detail: 'user nobody not found' },
    }));
    const r = await run(['tokens', 'create', 'nobody'], { env: api(fake) });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'suanli: Not Found: user nobody not found\n' });
  });
});
