import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { yuanToFen } from '../../src/cli/commands/prices.ts';
import { dateTime } from '../../src/cli/format.ts';
import type { ClusterProbeView, FoundPoolView, PriceView } from '../../src/cli/types.ts';
import { api, cluster, fakeApi, run, tempDir, type FakeApi, type Recorded, type Reply } from './helpers.ts';

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

function sentJson(r: Recorded | undefined): unknown {
  expect(r?.headers['content-type']).toBe('application/json');
  return JSON.parse(r?.body ?? '');
}

const POOLS: FoundPoolView[] = [
  { name: 'gpu', acceleratorModel: 'H100-SXM', nodes: 2, accelerators: 16 },
  { name: 'ascend', acceleratorModel: 'Ascend-910B', nodes: 1, accelerators: 8 },
];

/** Answers POST /clusters as the server does: 200 for a dry run, 201 for a registration. */
function probe(pools: FoundPoolView[] = POOLS): (req: Recorded) => Reply {
  return (req) => {
    const dryRun = (JSON.parse(req.body) as { dryRun?: boolean }).dryRun === true;
    const body: ClusterProbeView = { registered: !dryRun, pools };
    return { status: dryRun ? 200 : 201, json: body };
  };
}

const SLURM = ['--rest-url', 'http://slurm-head:6820', '--user', 'suanli', '--token-file', '/etc/suanli/hefei.jwt'];

describe('suanli clusters add', () => {
  it('probes with a dry run, shows the pools found, then registers with the same body', async () => {
    fake = await fakeApi(probe());
    const r = await run(
      ['clusters', 'add', 'hefei-a', '--provider', 'hefei-aicc', '--engine', 'slurm', '--name', '合肥A', ...SLURM],
      { env: api(fake) },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = lines(r.stdout);
    expect(cells(out[0])).toEqual(['POOL', 'MODEL', 'NODES', 'ACCELERATORS']);
    expect(cells(out[1])).toEqual(['gpu', 'H100-SXM', '2', '16']);
    expect(cells(out[2])).toEqual(['ascend', 'Ascend-910B', '1', '8']);
    expect(out[3]).toBe('cluster hefei-a registered (2 pools, 24 accelerators)');
    expect(out).toHaveLength(4);

    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'POST /api/v1/clusters',
      'POST /api/v1/clusters',
    ]);
    const cluster = {
      id: 'hefei-a',
      providerId: 'hefei-aicc',
      name: '合肥A',
      engine: 'slurm',
      config: { restUrl: 'http://slurm-head:6820', user: 'suanli', tokenFile: '/etc/suanli/hefei.jwt' },
    };
    expect(sentJson(fake.requests[0])).toEqual({ ...cluster, dryRun: true });
    expect(sentJson(fake.requests[1])).toEqual(cluster);
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer tok-1');
  });

  it('with --dry-run sends only the dry run', async () => {
    fake = await fakeApi(probe([POOLS[0]!]));
    const r = await run(['clusters', 'add', 'hefei-a', '--provider', 'p', '--engine', 'slurm', ...SLURM, '--dry-run'], {
      env: api(fake),
    });
    expect(r.code).toBe(0);
    expect(fake.requests).toHaveLength(1);
    expect(sentJson(fake.requests[0])).toMatchObject({ id: 'hefei-a', dryRun: true });
    expect(sentJson(fake.requests[0])).not.toHaveProperty('name');
    const out = lines(r.stdout);
    expect(cells(out[1])).toEqual(['gpu', 'H100-SXM', '2', '16']);
    expect(out[2]).toBe('dry run: cluster hefei-a not registered (found 1 pool, 16 accelerators)');
  });

  it('builds the slurm config from flags, sending the token file path and never reading the file', async () => {
    fake = await fakeApi(probe());
    const missing = join(tempDir(), 'no-such.jwt');
    const r = await run(
      [
        'clusters',
        'add',
        'c1',
        '--provider',
        'p',
        '--engine',
        'slurm',
        '--rest-url',
        'https://slurm:6820',
        '--user',
        'svc',
        '--token-file',
        missing,
        '--partition',
        'gpu',
        '--partition',
        'npu,debug',
        '--queue-ahead',
        '32',
        '--dispatch-concurrency',
        '8',
        '--dry-run',
      ],
      { env: api(fake) },
    );
    expect(r.code).toBe(0);
    expect(sentJson(fake.requests[0])).toMatchObject({
      config: {
        restUrl: 'https://slurm:6820',
        user: 'svc',
        tokenFile: missing,
        partitions: ['gpu', 'npu', 'debug'],
        queueAheadAccelerators: 32,
        dispatchConcurrency: 8,
      },
    });
    expect(Object.keys((sentJson(fake.requests[0]) as { config: object }).config)).not.toContain('token');
  });

  it('sends a YAML config file as JSON, and a JSON one as it is', async () => {
    fake = await fakeApi(probe());
    const dir = tempDir();
    const yaml = join(dir, 'local.yaml');
    writeFileSync(
      yaml,
      [
        '# a local cluster',
        'workDir: /var/lib/suanli/local',
        'pools:',
        '  - name: gpu',
        '    acceleratorModel: H100-SXM',
        '    nodes:',
        '      - { name: n1, accelerators: 8 }',
        '',
      ].join('\n'),
    );
    const config = {
      workDir: '/var/lib/suanli/local',
      pools: [{ name: 'gpu', acceleratorModel: 'H100-SXM', nodes: [{ name: 'n1', accelerators: 8 }] }],
    };
    const r = await run(['clusters', 'add', 'lab', '--provider', 'p', '--engine', 'local', '--config', yaml], {
      env: api(fake),
    });
    expect(r.code).toBe(0);
    expect(sentJson(fake.requests[0])).toEqual({ id: 'lab', providerId: 'p', engine: 'local', config, dryRun: true });
    expect(sentJson(fake.requests[1])).toEqual({ id: 'lab', providerId: 'p', engine: 'local', config });

    const jsonFile = join(dir, 'slurm.json');
    writeFileSync(jsonFile, JSON.stringify({ restUrl: 'http://s:6820', user: 'u', tokenFile: '/t' }));
    await run(['clusters', 'add', 's', '--provider', 'p', '--engine', 'slurm', '--config', jsonFile, '--dry-run'], {
      env: api(fake),
    });
    expect(sentJson(fake.requests[2])).toMatchObject({ config: { restUrl: 'http://s:6820', tokenFile: '/t' } });

    const kube = {
      apiUrl: 'https://k8s.hefei:6443',
      namespace: 'suanli',
      tokenFile: '/etc/suanli/k8s/hefei.token',
      pools: [
        { name: 'h100', acceleratorModel: 'H100-SXM', resourceName: 'nvidia.com/gpu', nodeSelector: 'pool=h100' },
      ],
    };
    const kubeFile = join(dir, 'k8s.yaml');
    writeFileSync(kubeFile, JSON.stringify(kube));
    const k = await run(
      ['clusters', 'add', 'k', '--provider', 'p', '--engine', 'kubernetes', '--config', kubeFile, '--dry-run'],
      {
        env: api(fake),
      },
    );
    expect(k.code, k.stderr).toBe(0);
    expect(sentJson(fake.requests[3])).toEqual({
      id: 'k',
      providerId: 'p',
      engine: 'kubernetes',
      config: kube,
      dryRun: true,
    });
  });

  it('prints the final API response with --json', async () => {
    fake = await fakeApi(probe());
    const r = await run(['clusters', 'add', 'c', '--provider', 'p', '--engine', 'slurm', ...SLURM, '--json'], {
      env: api(fake),
    });
    expect(JSON.parse(r.stdout)).toEqual({ registered: true, pools: POOLS });
  });

  it('rejects wrong or missing engine settings before sending anything (exit 2)', async () => {
    fake = await fakeApi(probe());
    const dir = tempDir();
    const inline = join(dir, 'inline.yaml');
    writeFileSync(inline, 'restUrl: http://s:6820\nuser: u\ntoken: eyJhbGciOi\n');
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'a: b: c\n');
    const add = ['clusters', 'add', 'c', '--provider', 'p'];
    const cases: [string[], RegExp][] = [
      [['--engine', 'local'], /^suanli: engine local needs --config FILE\n$/],
      [
        ['--engine', 'local', ...SLURM],
        /^suanli: engine local needs --config FILE \(--rest-url, .* are for slurm\)\n$/,
      ],
      [['--engine', 'slurm', '--user', 'u'], /^suanli: engine slurm needs .*--rest-url URL.*--token-file PATH\n$/],
      // --url is the suanli server's address, not slurmrestd's.
      [
        ['--engine', 'slurm', '--url', 'http://slurm:6820', '--user', 'u', '--token-file', '/t'],
        /^suanli: engine slurm needs .*--rest-url URL \(slurmrestd's address; --url is the suanli server's\)\n$/,
      ],
      [
        ['--engine', 'slurm', '--config', inline, '--user', 'u'],
        /^suanli: give the engine settings either in --config or with --user, not both\n$/,
      ],
      [['--engine', 'slurm', '--config', inline], /^suanli: .*inline\.yaml: do not put the slurm token in the config/],
      [['--engine', 'local', '--config', list], /^suanli: .*list\.yaml must hold a mapping/],
      [['--engine', 'local', '--config', bad], /^suanli: .*bad\.yaml is not valid YAML or JSON: [^\n]+\n$/],
      [['--engine', 'kubernetes'], /^suanli: engine kubernetes needs --config FILE\n$/],
      [
        ['--engine', 'kubernetes', '--config', inline],
        /^suanli: .*inline\.yaml: do not put the kubernetes token in the config/,
      ],
      [
        ['--engine', 'openstack', '--config', list],
        /^suanli: option '--engine <engine>' argument 'openstack' is invalid/,
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = await run([...add, ...args], { env: api(fake) });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(stderr);
    }
    const unreadable = await run([...add, '--engine', 'local', '--config', join(dir, 'none.yaml')], { env: api(fake) });
    expect(unreadable).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^suanli: cannot read .*none\.yaml: no such file\n$/),
    });
    expect(fake.requests).toHaveLength(0);
  });

  it('reports an unreachable cluster on one line and does not register (exit 1)', async () => {
    fake = await fakeApi(() => ({
      status: 502,
      json: {
        type: '/problems/cluster-unreachable',
        title: 'Bad Gateway',
        status: 502,
        detail: "could not read hefei-a's inventory:\nconnect ECONNREFUSED 10.0.0.5:6820",
      },
    }));
    const r = await run(['clusters', 'add', 'hefei-a', '--provider', 'p', '--engine', 'slurm', ...SLURM], {
      env: api(fake),
    });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: "suanli: Bad Gateway: could not read hefei-a's inventory: connect ECONNREFUSED 10.0.0.5:6820\n",
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a bad config and a conflict from the server on one line', async () => {
    fake = await fakeApi(() => ({
      status: 400,
      json: {
        title: 'Bad Request',
        status: 400,
        detail: 'config: slurm engine: restUrl must be http(s), not ftp:',
        errors: [{ field: 'config', message: 'slurm engine: restUrl must be http(s), not ftp:' }],
      },
    }));
    const r = await run(['clusters', 'add', 'c', '--provider', 'p', '--engine', 'slurm', ...SLURM], { env: api(fake) });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'suanli: Bad Request: config: slurm engine: restUrl must be http(s), not ftp:\n',
    });

    await fake.close();
    fake = await fakeApi((req, i) =>
      i === 0
        ? probe()(req)
        : { status: 409, json: { title: 'Conflict', status: 409, detail: 'cluster c already exists' } },
    );
    const conflict = await run(['clusters', 'add', 'c', '--provider', 'p', '--engine', 'slurm', ...SLURM], {
      env: api(fake),
    });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toBe('suanli: Conflict: cluster c already exists\n');
    expect(fake.requests).toHaveLength(2);
  });

  it('keeps `suanli clusters` listing clusters, also as `clusters ls`', async () => {
    fake = await fakeApi(() => ({ json: { items: [cluster()] } }));
    const plain = await run(['clusters'], { env: api(fake) });
    const ls = await run(['clusters', 'ls'], { env: api(fake) });
    const asJson = await run(['clusters', '--json'], { env: api(fake) });
    expect(plain.code).toBe(0);
    expect(cells(lines(plain.stdout)[0])[0]).toBe('CLUSTER');
    expect(ls.stdout).toBe(plain.stdout);
    expect(JSON.parse(asJson.stdout)).toEqual({ items: [cluster()] });
    expect(fake.requests.map((q) => `${q.method} ${q.path}`)).toEqual(Array(3).fill('GET /api/v1/clusters'));
  });
});

describe('yuan to fen', () => {
  it('converts exactly, with up to two decimals', () => {
    expect(yuanToFen('16.5')).toBe(1650);
    expect(yuanToFen('16.50')).toBe(1650);
    expect(yuanToFen('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in binary floating point
    expect(yuanToFen('1.15')).toBe(115); // 1.15 * 100 is 114.99999999999999
    expect(yuanToFen('0')).toBe(0);
    expect(yuanToFen('12')).toBe(1200);
  });

  it('rejects more decimals and non-numbers', () => {
    for (const bad of ['16.505', '-1', '', '.5', '5.', '1e2', 'ten', '16,50', '¥16'])
      expect(() => yuanToFen(bad), bad).toThrow(/at most two decimals/);
    expect(() => yuanToFen('99999999999999999')).toThrow(/too large/);
  });
});

describe('suanli prices', () => {
  const PRICES: PriceView[] = [
    {
      fenPerAcceleratorHour: 1250,
      validFrom: '2025-01-01T00:00:00.000Z',
      validTo: '2025-07-01T00:00:00.000Z',
      createdBy: 'office',
    },
    { fenPerAcceleratorHour: 1650, validFrom: '2025-07-01T00:00:00.000Z', validTo: null, createdBy: 'hefei-admin' },
  ];

  it('lists the price versions of a pool', async () => {
    fake = await fakeApi(() => ({ json: { items: PRICES } }));
    const r = await run(['prices', 'ls', 'hefei-a:gpu'], { env: api(fake) });
    expect(r.code).toBe(0);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/pools/hefei-a%3Agpu/prices' });
    const out = lines(r.stdout);
    expect(cells(out[0])).toEqual(['FROM', 'TO', 'PRICE (¥/ACCEL-H)', 'SET BY']);
    expect(cells(out[1])).toEqual([
      dateTime('2025-01-01T00:00:00.000Z'),
      dateTime('2025-07-01T00:00:00.000Z'),
      '¥12.50',
      'office',
    ]);
    expect(cells(out[2])).toEqual([dateTime('2025-07-01T00:00:00.000Z'), '-', '¥16.50', 'hefei-admin']);
  });

  it('says so when a pool has no prices, and prints the API response with --json', async () => {
    fake = await fakeApi(() => ({ json: { items: [] } }));
    expect((await run(['prices', 'ls', 'c:p'], { env: api(fake) })).stdout).toBe('No prices for pool c:p.\n');
    expect(JSON.parse((await run(['prices', 'ls', 'c:p', '--json'], { env: api(fake) })).stdout)).toEqual({
      items: [],
    });
  });

  const echoPrice = (req: Recorded): Reply => ({
    status: 201,
    json: { validTo: null, ...(JSON.parse(req.body) as object), createdBy: 'office' },
  });

  it('sets a price in yuan as exact fen from a given time, sent in UTC', async () => {
    fake = await fakeApi(echoPrice);
    const r = await run(['prices', 'set', 'hefei-a:gpu', '--yuan', '16.5', '--from', '2025-07-01T08:00:00+08:00'], {
      env: api(fake),
    });
    expect(r.code).toBe(0);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/pools/hefei-a%3Agpu/prices' });
    expect(sentJson(fake.requests[0])).toEqual({ fenPerAcceleratorHour: 1650, validFrom: '2025-07-01T00:00:00.000Z' });
    expect(r.stdout).toBe(
      `price of hefei-a:gpu set to ¥16.50 per accelerator-hour from ${dateTime('2025-07-01T00:00:00.000Z')}\n`,
    );
  });

  it('sets a price in fen with an end', async () => {
    fake = await fakeApi(echoPrice);
    const r = await run(
      ['prices', 'set', 'c:p', '--fen', '1650', '--from', '2025-07-01T00:00:00Z', '--to', '2025-12-31T16:00:00Z'],
      { env: api(fake) },
    );
    expect(r.code).toBe(0);
    expect(sentJson(fake.requests[0])).toEqual({
      fenPerAcceleratorHour: 1650,
      validFrom: '2025-07-01T00:00:00.000Z',
      validTo: '2025-12-31T16:00:00.000Z',
    });
    expect(r.stdout).toMatch(/^price of c:p set to ¥16\.50 per accelerator-hour from .* until .*\n$/);
  });

  it('rejects bad prices and times locally as usage errors, sending nothing (exit 2)', async () => {
    fake = await fakeApi(echoPrice);
    const from = ['--from', '2025-07-01T00:00:00Z'];
    const cases: [string[], RegExp][] = [
      [
        ['--yuan', '16.505', ...from],
        /^suanli: option '--yuan <yuan>' argument '16\.505' is invalid\. must be yuan with at most two decimals/,
      ],
      [
        ['--fen', '16.5', ...from],
        /^suanli: option '--fen <fen>' argument '16\.5' is invalid\. must be a whole number of fen/,
      ],
      [['--yuan', '16.5', '--fen', '1650', ...from], /^suanli: give the price with exactly one of --yuan and --fen\n$/],
      [from, /^suanli: give the price with exactly one of --yuan and --fen\n$/],
      [['--yuan', '16.5'], /^suanli: required option '--from <iso>' not specified\n$/],
      [
        ['--yuan', '16.5', '--from', '2025-07-01'],
        /^suanli: option '--from <iso>' argument '2025-07-01' is invalid\. must be an ISO date-time with its zone/,
      ],
      [['--yuan', '16.5', ...from, '--to', 'tomorrow'], /^suanli: option '--to <iso>' argument 'tomorrow' is invalid/],
    ];
    for (const [args, stderr] of cases) {
      const r = await run(['prices', 'set', 'c:p', ...args], { env: api(fake) });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(stderr);
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it("reports the server's refusal on one line (exit 1)", async () => {
    fake = await fakeApi(() => ({
      status: 403,
      json: { title: 'Forbidden', status: 403, detail: 'you may manage only provider wuhu' },
    }));
    const r = await run(['prices', 'set', 'c:p', '--fen', '1', '--from', '2025-07-01T00:00:00Z'], { env: api(fake) });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'suanli: Forbidden: you may manage only provider wuhu\n' });
  });
});
