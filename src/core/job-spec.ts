/**
 * The versioned job spec wire format (suanli.io/v1) and its parser.
 *
 * The TypeBox schema is the single source of truth for the structure: the API uses it as the OpenAPI request
 * body, and the parser checks it with TypeBox's pure `Value.Errors` (no compiler, so no `new Function`).
 * What a schema cannot say (catalogue lookups, duration syntax, either-or fields) is checked afterwards, and
 * every problem is collected so that a user fixes a spec in one round trip rather than one error at a time.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { valueErrorText } from './schema-errors.ts';
import { parseDocument } from 'yaml';
import { ACCELERATORS, findAccelerator, type AcceleratorSpec } from './accelerators.ts';
import type { AcceleratorRequirement, JobConstraints, JobSpec, PriorityClass } from './domain.ts';
import { PRIORITY_CLASSES } from './domain.ts';

export const API_VERSION = 'suanli.io/v1';
export const MAX_TIME_LIMIT_SECONDS = 30 * 86_400;
const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const ENV_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const RESERVED_ENV_PREFIX = 'SUANLI_';
const DURATION_HINT = 'use e.g. 90s, 10m, 2h, 1h30m, 2d or a number of seconds';

const AcceleratorWire = Type.Object(
  {
    model: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Exactly this accelerator model (a catalogue model or one of its aliases).',
        examples: ['H100-SXM', 'Ascend-910B'],
      }),
    ),
    anyOf: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Any of these accelerator models.',
        examples: [['A100-80GB', 'H800']],
      }),
    ),
    minMemoryGiB: Type.Optional(
      Type.Integer({ minimum: 1, description: 'At least this much memory per accelerator, GiB.', examples: [80] }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Which accelerators the job accepts; all given conditions must hold. Empty or absent: any.',
  },
);

const ResourcesWire = Type.Object(
  {
    accelerator: Type.Optional(AcceleratorWire),
    acceleratorsPerNode: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'Accelerators on each node.', examples: [8] }),
    ),
    nodes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1024,
        default: 1,
        description: 'Nodes; they are placed together as one gang in one pool.',
        examples: [1],
      }),
    ),
  },
  { additionalProperties: false },
);

const ConstraintsWire = Type.Object(
  {
    regions: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Run only at providers carrying one of these region tags.',
        examples: [['wanbei']],
      }),
    ),
    providers: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Run only at these providers (ids or names).',
        examples: [['hefei-aicc']],
      }),
    ),
    maxFenPerAcceleratorHour: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Highest acceptable price, fen (0.01 CNY) per accelerator-hour.',
        examples: [1200],
      }),
    ),
    domesticOnly: Type.Optional(
      Type.Boolean({ description: 'Domestic (Chinese-made) accelerators only.', examples: [true] }),
    ),
  },
  { additionalProperties: false },
);

const SpecWire = Type.Object(
  {
    resources: Type.Optional(ResourcesWire),
    timeLimit: Type.Union(
      [
        Type.String({ minLength: 1, pattern: '^(\\d+|(\\d+d)?(\\d+h)?(\\d+m)?(\\d+s)?)$' }),
        Type.Integer({ minimum: 1, maximum: MAX_TIME_LIMIT_SECONDS }),
      ],
      {
        description: 'Wall-clock limit: a duration ("90s", "10m", "2h", "1h30m", "2d") or seconds; 1 s to 30 days.',
        examples: ['10m', '1h30m', 3600],
      },
    ),
    command: Type.Optional(
      Type.Array(Type.String(), {
        minItems: 1,
        description: 'The program and its arguments (argv). Exactly one of command and script.',
        examples: [['python', 'train.py']],
      }),
    ),
    script: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'A shell script run with /bin/sh. Exactly one of command and script.',
        examples: ['echo hello\n'],
      }),
    ),
    image: Type.Optional(
      Type.String({ minLength: 1, description: 'Container image.', examples: ['registry.example.cn/train:1'] }),
    ),
    env: Type.Optional(
      Type.Record(Type.String({ pattern: ENV_KEY_PATTERN }), Type.String(), {
        additionalProperties: false,
        description: `Environment variables. Names starting ${RESERVED_ENV_PREFIX} are reserved for the platform.`,
        examples: [{ EPOCHS: '3' }],
      }),
    ),
    priorityClass: Type.Optional(
      Type.Union(
        PRIORITY_CLASSES.map((c) => Type.Literal(c)),
        { default: 'normal', description: 'Scheduling priority class.', examples: ['normal'] },
      ),
    ),
    constraints: Type.Optional(ConstraintsWire),
  },
  { additionalProperties: false },
);

export const JobSpecWire = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION, { description: 'Spec format version.' }),
    kind: Type.Literal('Job'),
    metadata: Type.Object(
      {
        name: Type.String({
          pattern: NAME_PATTERN,
          description: 'Job name: lowercase letters, digits and "-", at most 63 characters.',
          examples: ['resnet-smoke'],
        }),
        project: Type.String({
          minLength: 1,
          maxLength: 128,
          description: "The project, by name, within the caller's tenant.",
          examples: ['vision'],
        }),
      },
      { additionalProperties: false },
    ),
    spec: SpecWire,
  },
  { additionalProperties: false, title: 'JobSpec', description: 'A job, in the suanli.io/v1 format.' },
);
export type JobSpecWire = Static<typeof JobSpecWire>;

export interface FieldError {
  /** Dotted path of the offending field, e.g. `spec.resources.nodes`, `spec.command[0]`; "" for the whole input. */
  field: string;
  message: string;
}

export type ParseResult = { ok: true; spec: JobSpec } | { ok: false; errors: FieldError[] };

// ---------------------------------------------------------------------------------------------------------------
// Durations

const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds for "90s", "10m", "1h30m", "2d", "600" or 600; null if it is not a duration. Range is the caller's. */
export function parseDuration(s: string | number): number | null {
  if (typeof s === 'number') return Number.isSafeInteger(s) && s >= 0 ? s : null;
  const text = s.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : null;
  }
  const m = DURATION_RE.exec(text);
  if (text === '' || m === null) return null;
  const [, d, h, min, sec] = m;
  const total = Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(min ?? 0) * 60 + Number(sec ?? 0);
  return Number.isSafeInteger(total) ? total : null;
}

/** "1h30m", "2d", "45s"; "0s" for zero. Fractions of a second are dropped. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`not a duration: ${seconds}`);
  let rest = Math.floor(seconds);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Accelerator requirements against the catalogue

function canonical(name: string): string | undefined {
  return findAccelerator(name)?.model;
}

/** The canonical catalogue models a requirement accepts (all of its conditions together), in catalogue order. */
export function acceptableModels(req: AcceleratorRequirement): string[] {
  const model = req.model === undefined ? undefined : (canonical(req.model) ?? null);
  const anyOf = req.anyOf === undefined ? undefined : new Set(req.anyOf.map((n) => canonical(n)));
  return ACCELERATORS.filter(
    (a) =>
      (model === undefined || a.model === model) &&
      (anyOf === undefined || anyOf.has(a.model)) &&
      (req.minMemoryGiB === undefined || a.memoryGiB >= req.minMemoryGiB) &&
      (req.domesticOnly !== true || a.domestic),
  ).map((a) => a.model);
}

function knownModels(): string {
  return ACCELERATORS.map((a) => a.model).join(', ');
}

function largest(specs: readonly AcceleratorSpec[]): AcceleratorSpec | undefined {
  return specs.reduce<AcceleratorSpec | undefined>(
    (best, a) => (best && best.memoryGiB >= a.memoryGiB ? best : a),
    undefined,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

const ACC = 'spec.resources.accelerator';

/** Turns TypeBox's JSON pointer into the dotted form users see, indexing arrays as `[i]`. */
function fieldPath(pointer: string, input: unknown): string {
  if (pointer === '') return '';
  let out = '';
  let node: unknown = input;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += Array.isArray(node) ? `[${key}]` : out === '' ? key : `.${key}`;
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function structuralMessage(e: ValueError, field: string): string {
  if (e.type === ValueErrorType.ObjectAdditionalProperties && field.startsWith('spec.env.')) {
    return 'invalid variable name: use letters, digits and _, not starting with a digit';
  }
  if (e.type === ValueErrorType.StringPattern && e.schema['pattern'] === NAME_PATTERN) {
    return 'must be lowercase letters, digits and "-", start and end with a letter or digit, at most 63 characters';
  }
  if (e.type === ValueErrorType.ArrayMinItems) return 'must not be empty (leave it out instead)';
  return valueErrorText(e);
}

function structuralErrors(input: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(JobSpecWire, input)) {
    const field = fieldPath(e.path, input);
    // TypeBox reports a missing property twice (required, then wrong type): keep the first word per field.
    if (seen.has(field)) continue;
    // The time limit gets one precise message from the semantic check instead of a union mismatch.
    if (field === 'spec.timeLimit' && e.type !== ValueErrorType.ObjectRequiredProperty) continue;
    seen.add(field);
    errors.push({ field, message: structuralMessage(e, field) });
  }
  return errors;
}

function semanticErrors(input: unknown, structural: readonly FieldError[]): FieldError[] {
  const errors: FieldError[] = [];
  const err = (field: string, message: string): void => void errors.push({ field, message });
  // Only judge a field whose shape is right; a wrong shape has already been reported.
  const clean = (field: string): boolean =>
    !structural.some((e) => e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`));

  const spec = isRecord(input) && isRecord(input['spec']) ? input['spec'] : undefined;
  if (spec === undefined) return errors;

  if ('timeLimit' in spec) {
    const raw = spec['timeLimit'];
    const seconds = typeof raw === 'string' || typeof raw === 'number' ? parseDuration(raw) : null;
    if (seconds === null) err('spec.timeLimit', `invalid duration ${JSON.stringify(raw)}: ${DURATION_HINT}`);
    else if (seconds < 1 || seconds > MAX_TIME_LIMIT_SECONDS)
      err('spec.timeLimit', `must be between 1s and 30d (got ${formatDuration(seconds)})`);
  }

  const hasCommand = spec['command'] !== undefined;
  const hasScript = spec['script'] !== undefined;
  if (hasCommand && hasScript) err('spec.script', 'set either command or script, not both');
  if (!hasCommand && !hasScript) err('spec.command', 'is required (or set spec.script instead)');
  if (hasScript && clean('spec.script') && (spec['script'] as string).trim() === '')
    err('spec.script', 'must not be empty');
  if (hasCommand && clean('spec.command') && (spec['command'] as string[])[0] === '')
    err('spec.command[0]', 'must not be empty: it names the program to run');

  if (isRecord(spec['env'])) {
    for (const key of Object.keys(spec['env'])) {
      if (key.startsWith(RESERVED_ENV_PREFIX) && clean(`spec.env.${key}`))
        err(`spec.env.${key}`, `names starting ${RESERVED_ENV_PREFIX} are reserved for the platform`);
    }
  }

  const resources = isRecord(spec['resources']) ? spec['resources'] : {};
  const acc = isRecord(resources['accelerator']) ? resources['accelerator'] : {};
  const constraints = isRecord(spec['constraints']) ? spec['constraints'] : {};
  const domesticOnly = clean('spec.constraints.domesticOnly') && constraints['domesticOnly'] === true;

  let model: AcceleratorSpec | undefined;
  if (typeof acc['model'] === 'string' && clean(`${ACC}.model`)) {
    model = findAccelerator(acc['model']);
    if (model === undefined) err(`${ACC}.model`, `unknown accelerator "${acc['model']}"; known: ${knownModels()}`);
  }
  let anyOf: AcceleratorSpec[] | undefined;
  if (Array.isArray(acc['anyOf']) && clean(`${ACC}.anyOf`)) {
    anyOf = [];
    acc['anyOf'].forEach((name: string, i) => {
      const found = findAccelerator(name);
      if (found === undefined) err(`${ACC}.anyOf[${i}]`, `unknown accelerator "${name}"; known: ${knownModels()}`);
      else anyOf?.push(found);
    });
  }
  if (model !== undefined && anyOf !== undefined && anyOf.length > 0 && !anyOf.includes(model))
    err(`${ACC}.model`, `${model.model} is not in anyOf (${anyOf.map((a) => a.model).join(', ')})`);

  if (typeof acc['minMemoryGiB'] === 'number' && clean(`${ACC}.minMemoryGiB`)) {
    const min = acc['minMemoryGiB'];
    const field = `${ACC}.minMemoryGiB`;
    const pool = ACCELERATORS.filter((a) => !domesticOnly || a.domestic);
    const big = largest(pool);
    const what = domesticOnly ? 'domestic accelerator' : 'accelerator';
    if (!pool.some((a) => a.memoryGiB >= min))
      err(field, `no ${what} has ${min} GiB or more` + (big ? ` (largest: ${big.model}, ${big.memoryGiB} GiB)` : ''));
    else if (model !== undefined && model.memoryGiB < min) err(field, `${model.model} has only ${model.memoryGiB} GiB`);
    else if (anyOf !== undefined && anyOf.length > 0 && !anyOf.some((a) => a.memoryGiB >= min))
      err(field, `none of anyOf has ${min} GiB`);
  }
  if (domesticOnly) {
    if (model !== undefined && !model.domestic) err('spec.constraints.domesticOnly', `${model.model} is not domestic`);
    else if (anyOf !== undefined && anyOf.length > 0 && !anyOf.some((a) => a.domestic))
      err('spec.constraints.domesticOnly', 'none of anyOf is domestic');
  }
  // A catch-all for combinations the specific checks above do not name.
  const accelFields = [ACC, 'spec.constraints.domesticOnly'];
  const named = [...structural, ...errors].some((e) => accelFields.some((f) => e.field.startsWith(f)));
  if (!named && acceptableModels(toRequirement(acc, domesticOnly)).length === 0)
    err(ACC, 'no accelerator in the catalogue meets all of these conditions');
  return errors;
}

function toRequirement(acc: Record<string, unknown>, domesticOnly: boolean | undefined): AcceleratorRequirement {
  const req: AcceleratorRequirement = {};
  if (typeof acc['model'] === 'string') req.model = canonical(acc['model']) ?? acc['model'];
  if (Array.isArray(acc['anyOf'])) req.anyOf = [...new Set((acc['anyOf'] as string[]).map((n) => canonical(n) ?? n))];
  if (typeof acc['minMemoryGiB'] === 'number') req.minMemoryGiB = acc['minMemoryGiB'];
  if (domesticOnly !== undefined) req.domesticOnly = domesticOnly;
  return req;
}

/** Validates a decoded spec (from JSON or YAML) and returns the domain form, or every problem found. */
/** Fields holding U+0000: PostgreSQL cannot store it in text or jsonb, and no command needs it. */
function nulErrors(value: unknown, path: string, errors: FieldError[]): FieldError[] {
  const message = 'must not contain NUL (U+0000) characters';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) errors.push({ field: path, message });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulErrors(item, `${path}[${i}]`, errors));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) errors.push({ field, message });
      else nulErrors(item, field, errors);
    }
  }
  return errors;
}

export function parseJobSpec(input: unknown): ParseResult {
  if (input === null || input === undefined)
    return { ok: false, errors: [{ field: '', message: 'is empty: expected a job spec' }] };
  const nul = nulErrors(input, '', []);
  if (nul.length > 0) return { ok: false, errors: nul };
  const structural = structuralErrors(input);
  const errors = [...structural, ...semanticErrors(input, structural)];
  if (errors.length > 0) return { ok: false, errors };

  // Safe from here: the value matches the schema and passed the semantic checks.
  const wire = input as JobSpecWire;
  const s = wire.spec;
  const c = s.constraints ?? {};
  const constraints: JobConstraints = {};
  if (c.regions !== undefined) constraints.regions = [...c.regions];
  if (c.providers !== undefined) constraints.providers = [...c.providers];
  if (c.maxFenPerAcceleratorHour !== undefined) constraints.maxFenPerAcceleratorHour = c.maxFenPerAcceleratorHour;

  const spec: JobSpec = {
    apiVersion: API_VERSION,
    kind: 'Job',
    name: wire.metadata.name,
    project: wire.metadata.project,
    accelerator: toRequirement(s.resources?.accelerator ?? {}, c.domesticOnly),
    acceleratorsPerNode: s.resources?.acceleratorsPerNode ?? 1,
    nodes: s.resources?.nodes ?? 1,
    timeLimitSeconds: parseDuration(s.timeLimit) ?? 0,
    env: { ...(s.env ?? {}) },
    priorityClass: (s.priorityClass ?? 'normal') satisfies PriorityClass,
    constraints,
  };
  if (s.command !== undefined) spec.command = [...s.command];
  if (s.script !== undefined) spec.script = s.script;
  if (s.image !== undefined) spec.image = s.image;
  return { ok: true, spec };
}

/** Parses YAML 1.2 (JSON is YAML too) and validates it. */
export function parseJobSpecText(text: string): ParseResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // The parser's first message line already says where ("... at line 3, column 1:"); the rest is a snippet.
    const errors = doc.errors.map((e) => ({
      field: '',
      message: `YAML syntax error: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`,
    }));
    return { ok: false, errors };
  }
  return parseJobSpec(doc.toJS());
}

/** The wire form of a parsed spec; `parseJobSpec(toWireSpec(s))` gives `s` back. */
export function toWireSpec(spec: JobSpec): JobSpecWire {
  const accelerator: Static<typeof AcceleratorWire> = {};
  if (spec.accelerator.model !== undefined) accelerator.model = spec.accelerator.model;
  if (spec.accelerator.anyOf !== undefined) accelerator.anyOf = [...spec.accelerator.anyOf];
  if (spec.accelerator.minMemoryGiB !== undefined) accelerator.minMemoryGiB = spec.accelerator.minMemoryGiB;

  const constraints: Static<typeof ConstraintsWire> = {};
  if (spec.constraints.regions !== undefined) constraints.regions = [...spec.constraints.regions];
  if (spec.constraints.providers !== undefined) constraints.providers = [...spec.constraints.providers];
  if (spec.constraints.maxFenPerAcceleratorHour !== undefined)
    constraints.maxFenPerAcceleratorHour = spec.constraints.maxFenPerAcceleratorHour;
  if (spec.accelerator.domesticOnly !== undefined) constraints.domesticOnly = spec.accelerator.domesticOnly;

  const wire: JobSpecWire = {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name: spec.name, project: spec.project },
    spec: {
      resources: {
        ...(Object.keys(accelerator).length > 0 ? { accelerator } : {}),
        acceleratorsPerNode: spec.acceleratorsPerNode,
        nodes: spec.nodes,
      },
      timeLimit: formatDuration(spec.timeLimitSeconds),
      priorityClass: spec.priorityClass,
    },
  };
  if (spec.command !== undefined) wire.spec.command = [...spec.command];
  if (spec.script !== undefined) wire.spec.script = spec.script;
  if (spec.image !== undefined) wire.spec.image = spec.image;
  if (Object.keys(spec.env).length > 0) wire.spec.env = { ...spec.env };
  if (Object.keys(constraints).length > 0) wire.spec.constraints = constraints;
  return wire;
}
