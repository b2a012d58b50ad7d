import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ACCELERATORS } from '../../src/core/accelerators.ts';
import { PRIORITY_CLASSES, type JobSpec } from '../../src/core/domain.ts';
import {
  acceptableModels,
  formatDuration,
  parseDuration,
  parseJobSpec,
  parseJobSpecText,
  toWireSpec,
  type FieldError,
  type ParseResult,
} from '../../src/core/job-spec.ts';

function minimal(spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'suanli.io/v1',
    kind: 'Job',
    metadata: { name: 'resnet-smoke', project: 'vision' },
    spec: { timeLimit: '10m', command: ['python', 'train.py'], ...spec },
    ...extra,
  };
}

function errorsOf(result: ParseResult): FieldError[] {
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.spec)}`);
  return result.errors;
}

function specOf(result: ParseResult): JobSpec {
  if (!result.ok) throw new Error(`expected a spec, got ${JSON.stringify(result.errors)}`);
  return result.spec;
}

function errorAt(result: ParseResult, field: string): string {
  const errors = errorsOf(result);
  const found = errors.find((e) => e.field === field);
  if (!found) throw new Error(`no error at ${field}; errors: ${JSON.stringify(errors)}`);
  return found.message;
}

describe('parseJobSpec: valid specs', () => {
  it('fills defaults for a minimal spec', () => {
    expect(specOf(parseJobSpec(minimal()))).toEqual({
      apiVersion: 'suanli.io/v1',
      kind: 'Job',
      name: 'resnet-smoke',
      project: 'vision',
      accelerator: {},
      acceleratorsPerNode: 1,
      nodes: 1,
      timeLimitSeconds: 600,
      command: ['python', 'train.py'],
      env: {},
      priorityClass: 'normal',
      constraints: {},
    });
  });

  it('parses the full YAML format and normalises accelerator aliases', () => {
    const text = `
apiVersion: suanli.io/v1
kind: Job
metadata:
  name: llm-pretrain
  project: nlp
spec:
  resources:
    accelerator:
      model: h800-sxm5
      anyOf: [a100, H800, nvidia-h800]
      minMemoryGiB: 80
    acceleratorsPerNode: 8
    nodes: 4
  timeLimit: 1h30m
  script: |
    echo hello
  image: registry.example.cn/train:1
  env:
    EPOCHS: "3"
    _DEBUG: "1"
  priorityClass: strategic
  constraints:
    regions: [wanbei]
    providers: [hefei-aicc]
    maxFenPerAcceleratorHour: 1200
    domesticOnly: false
`;
    expect(specOf(parseJobSpecText(text))).toEqual({
      apiVersion: 'suanli.io/v1',
      kind: 'Job',
      name: 'llm-pretrain',
      project: 'nlp',
      accelerator: { model: 'H800', anyOf: ['A100-80GB', 'H800'], minMemoryGiB: 80, domesticOnly: false },
      acceleratorsPerNode: 8,
      nodes: 4,
      timeLimitSeconds: 5400,
      script: 'echo hello\n',
      image: 'registry.example.cn/train:1',
      env: { EPOCHS: '3', _DEBUG: '1' },
      priorityClass: 'strategic',
      constraints: { regions: ['wanbei'], providers: ['hefei-aicc'], maxFenPerAcceleratorHour: 1200 },
    });
  });

  it('parses JSON text and an integer time limit', () => {
    const spec = specOf(parseJobSpecText(JSON.stringify(minimal({ timeLimit: 3600 }))));
    expect(spec.timeLimitSeconds).toBe(3600);
  });

  it('accepts domestic-only requirements that the catalogue can meet', () => {
    const spec = specOf(
      parseJobSpec(minimal({ resources: { accelerator: { minMemoryGiB: 64 } }, constraints: { domesticOnly: true } })),
    );
    expect(spec.accelerator).toEqual({ minMemoryGiB: 64, domesticOnly: true });
    expect(acceptableModels(spec.accelerator)).toContain('Ascend-910B');
    expect(acceptableModels(spec.accelerator)).not.toContain('H100-SXM');
  });
});

describe('parseJobSpec: structural errors name the field', () => {
  it('reports an unknown field at its own path', () => {
    expect(errorAt(parseJobSpec(minimal({ resources: { gpus: 2 } })), 'spec.resources.gpus')).toBe('unknown field');
    expect(errorAt(parseJobSpec(minimal({}, { status: 'x' })), 'status')).toBe('unknown field');
  });

  it('reports a missing field at its own path, once', () => {
    const input = minimal();
    delete (input['metadata'] as Record<string, unknown>)['name'];
    delete (input['spec'] as Record<string, unknown>)['timeLimit'];
    const errors = errorsOf(parseJobSpec(input));
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'metadata.name', message: 'is required' },
        { field: 'spec.timeLimit', message: 'is required' },
      ]),
    );
    expect(errors.filter((e) => e.field === 'metadata.name')).toHaveLength(1);
  });

  it('rejects a wrong apiVersion and kind', () => {
    const result = parseJobSpec(minimal({}, { apiVersion: 'suanli.io/v2', kind: 'Pod' }));
    expect(errorAt(result, 'apiVersion')).toContain('suanli.io/v1');
    expect(errorAt(result, 'kind')).toContain('Job');
  });

  it('rejects a bad name', () => {
    const result = parseJobSpec(minimal({}, { metadata: { name: 'Bad_Name-', project: 'vision' } }));
    expect(errorAt(result, 'metadata.name')).toContain('lowercase');
  });

  it('checks integer ranges', () => {
    expect(errorAt(parseJobSpec(minimal({ resources: { nodes: 0 } })), 'spec.resources.nodes')).toBe(
      'must be from 1 to 1024',
    );
    expect(errorAt(parseJobSpec(minimal({ resources: { nodes: 1.5 } })), 'spec.resources.nodes')).toContain('integer');
    expect(
      errorAt(parseJobSpec(minimal({ resources: { acceleratorsPerNode: 65 } })), 'spec.resources.acceleratorsPerNode'),
    ).toBe('must be from 1 to 64');
  });

  it('lists the priority classes', () => {
    expect(errorAt(parseJobSpec(minimal({ priorityClass: 'urgent' })), 'spec.priorityClass')).toBe(
      'must be one of strategic, normal, best-effort',
    );
  });

  it('indexes arrays with brackets', () => {
    expect(errorAt(parseJobSpec(minimal({ command: ['python', 3] })), 'spec.command[1]')).toBe('must be a string');
  });

  it('rejects a non-object input at the root', () => {
    expect(errorsOf(parseJobSpec('hello'))).toEqual([{ field: '', message: 'must be a mapping' }]);
  });

  it('reports a YAML syntax error with its line', () => {
    const errors = errorsOf(parseJobSpecText('apiVersion: suanli.io/v1\nspec: [1, 2\nkind: Job\n'));
    expect(errors[0]?.field).toBe('');
    expect(errors[0]?.message).toMatch(/YAML.*line 3/);
  });
});

describe('parseJobSpec: semantic errors name the field', () => {
  const acc = (accelerator: Record<string, unknown>, constraints?: Record<string, unknown>): ParseResult =>
    parseJobSpec(minimal({ resources: { accelerator }, ...(constraints ? { constraints } : {}) }));

  it('rejects an unknown model and lists the known ones', () => {
    const message = errorAt(acc({ model: 'B200' }), 'spec.resources.accelerator.model');
    expect(message).toContain('"B200"');
    expect(message).toContain('H100-SXM');
    expect(message).toContain('Ascend-910B');
    expect(errorAt(acc({ anyOf: ['H800', 'X1'] }), 'spec.resources.accelerator.anyOf[1]')).toContain('"X1"');
  });

  it('rejects a model outside anyOf', () => {
    expect(errorAt(acc({ model: 'H100', anyOf: ['A100-80GB', 'H800'] }), 'spec.resources.accelerator.model')).toBe(
      'H100-SXM is not in anyOf (A100-80GB, H800)',
    );
  });

  it('rejects memory no catalogue model has', () => {
    expect(errorAt(acc({ minMemoryGiB: 1000 }), 'spec.resources.accelerator.minMemoryGiB')).toContain(
      'no accelerator has 1000 GiB',
    );
    expect(
      errorAt(acc({ minMemoryGiB: 96 }, { domesticOnly: true }), 'spec.resources.accelerator.minMemoryGiB'),
    ).toContain('no domestic accelerator');
    expect(errorAt(acc({ model: 'L40S', minMemoryGiB: 80 }), 'spec.resources.accelerator.minMemoryGiB')).toBe(
      'L40S has only 48 GiB',
    );
    expect(
      errorAt(acc({ anyOf: ['L40S', 'RTX-4090'], minMemoryGiB: 80 }), 'spec.resources.accelerator.minMemoryGiB'),
    ).toBe('none of anyOf has 80 GiB');
  });

  it('rejects a foreign model with domesticOnly', () => {
    expect(errorAt(acc({ model: 'H100-SXM' }, { domesticOnly: true }), 'spec.constraints.domesticOnly')).toBe(
      'H100-SXM is not domestic',
    );
  });

  it('requires exactly one of command and script', () => {
    expect(errorAt(parseJobSpec(minimal({ script: 'echo hi' })), 'spec.script')).toContain('not both');
    const neither = minimal();
    delete (neither['spec'] as Record<string, unknown>)['command'];
    expect(errorAt(parseJobSpec(neither), 'spec.command')).toMatch(/^is required/);
    expect(errorAt(parseJobSpec(minimal({ command: [] })), 'spec.command')).toContain('empty');
  });

  it('checks duration syntax and range', () => {
    expect(errorAt(parseJobSpec(minimal({ timeLimit: '10 minutes' })), 'spec.timeLimit')).toContain('90s');
    expect(errorAt(parseJobSpec(minimal({ timeLimit: '31d' })), 'spec.timeLimit')).toContain('30d');
    expect(errorAt(parseJobSpec(minimal({ timeLimit: 0 })), 'spec.timeLimit')).toContain('1s');
    expect(errorAt(parseJobSpec(minimal({ timeLimit: true })), 'spec.timeLimit')).toContain('duration');
    expect(
      errorsOf(parseJobSpec(minimal({ timeLimit: '1x' }))).filter((e) => e.field === 'spec.timeLimit'),
    ).toHaveLength(1);
  });

  it('rejects reserved and malformed env names', () => {
    const result = parseJobSpec(minimal({ env: { SUANLI_JOB_ID: 'x', '1BAD': 'y', OK: 'z' } }));
    expect(errorAt(result, 'spec.env.SUANLI_JOB_ID')).toContain('reserved');
    expect(errorAt(result, 'spec.env.1BAD')).toContain('variable name');
    expect(errorAt(parseJobSpec(minimal({ env: { N: 3 } })), 'spec.env.N')).toBe('must be a string');
  });

  it('collects every error, structural and semantic', () => {
    const result = parseJobSpec({
      apiVersion: 'suanli.io/v1',
      kind: 'Job',
      metadata: { name: 'ok', project: 'p', owner: 'me' },
      spec: {
        resources: { accelerator: { model: 'B200' }, nodes: 0 },
        timeLimit: '99d',
        command: ['x'],
        script: 'y',
        env: { SUANLI_X: '1' },
      },
    });
    expect(
      errorsOf(result)
        .map((e) => e.field)
        .sort(),
    ).toEqual(
      [
        'metadata.owner',
        'spec.resources.nodes',
        'spec.resources.accelerator.model',
        'spec.timeLimit',
        'spec.script',
        'spec.env.SUANLI_X',
      ].sort(),
    );
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1h30m', 5400],
    ['2d', 172_800],
    ['1d2h3m4s', 93_784],
    ['600', 600],
    [45, 45],
  ] as const)('parses %s', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each(['', 'm', '10 m', '1m1h', '-5', '1.5h', 'ten'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it('rejects non-integer and negative numbers', () => {
    expect(parseDuration(1.5)).toBeNull();
    expect(parseDuration(-1)).toBeNull();
  });

  it('formats compactly', () => {
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(90)).toBe('1m30s');
    expect(formatDuration(172_800)).toBe('2d');
    expect(formatDuration(0)).toBe('0s');
  });

  it('round-trips', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), (n) => parseDuration(formatDuration(n)) === n));
  });
});

describe('acceptableModels', () => {
  it('intersects every condition', () => {
    expect(acceptableModels({})).toEqual(ACCELERATORS.map((a) => a.model));
    expect(acceptableModels({ model: 'h100' })).toEqual(['H100-SXM']);
    expect(acceptableModels({ anyOf: ['A100-80GB', 'L40S'], minMemoryGiB: 80 })).toEqual(['A100-80GB']);
    expect(acceptableModels({ model: 'H100-SXM', domesticOnly: true })).toEqual([]);
    expect(acceptableModels({ model: 'no-such-gpu' })).toEqual([]);
  });
});

describe('toWireSpec', () => {
  const models = ACCELERATORS.map((a) => a.model);
  const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
  const requirement = fc
    .record(
      {
        model: fc.constantFrom(...models),
        anyOf: fc.uniqueArray(fc.constantFrom(...models), { minLength: 1, maxLength: 4 }),
        minMemoryGiB: fc.integer({ min: 1, max: 100 }),
        domesticOnly: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .filter((req) => acceptableModels(req).length > 0);
  const program = fc.oneof(
    fc.record({ command: fc.tuple(fc.string({ minLength: 1 }), fc.array(fc.string(), { maxLength: 3 })) }),
    fc.record({ script: fc.string({ minLength: 1 }).filter((s) => s.trim() !== '') }),
  );
  const jobSpec: fc.Arbitrary<JobSpec> = fc
    .record({
      name: fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/),
      project: fc.string({ minLength: 1, maxLength: 20 }),
      accelerator: requirement,
      acceleratorsPerNode: fc.integer({ min: 1, max: 64 }),
      nodes: fc.integer({ min: 1, max: 1024 }),
      timeLimitSeconds: fc.integer({ min: 1, max: 30 * 86_400 }),
      program,
      image: fc.option(word, { nil: undefined }),
      env: fc.dictionary(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => !k.startsWith('SUANLI_') && k !== '__proto__'),
        fc.string(),
        { maxKeys: 4 },
      ),
      priorityClass: fc.constantFrom(...PRIORITY_CLASSES),
      constraints: fc.record(
        {
          regions: fc.uniqueArray(word, { minLength: 1, maxLength: 3 }),
          providers: fc.uniqueArray(word, { minLength: 1, maxLength: 3 }),
          maxFenPerAcceleratorHour: fc.nat(10_000),
        },
        { requiredKeys: [] },
      ),
    })
    .map(({ program, image, ...rest }) => {
      const spec: JobSpec = { apiVersion: 'suanli.io/v1', kind: 'Job', ...rest };
      if ('command' in program) spec.command = program.command.flat();
      else spec.script = program.script;
      if (image !== undefined) spec.image = image;
      return spec;
    });

  it('round-trips through parseJobSpec', () => {
    fc.assert(
      fc.property(jobSpec, (spec) => {
        expect(specOf(parseJobSpec(toWireSpec(spec)))).toEqual(spec);
      }),
    );
  });

  it('round-trips through YAML text', () => {
    fc.assert(
      fc.property(jobSpec, (spec) => {
        expect(specOf(parseJobSpecText(stringify(toWireSpec(spec))))).toEqual(spec);
      }),
      { numRuns: 50 },
    );
  });
});
