/**
 * What the API server refuses in a batch/v1 Job or a core/v1 Service, in its own words (field paths and messages
 * of k8s.io/kubernetes pkg/apis/{batch,core}/validation), for the fields the engine writes. Each problem is one
 * `cause` of a 422 Invalid Status.
 */
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  fromLabelSelectorObject,
  labelValue,
  qualifiedName,
} from './selectors.ts';

export interface Cause {
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  field: string;
  message: string;
}

const required = (field: string, detail = ''): Cause => ({
  reason: 'FieldValueRequired',
  field,
  message: `Required value${detail ? `: ${detail}` : ''}`,
});
const invalid = (field: string, value: unknown, detail: string): Cause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
});
const unsupported = (field: string, value: unknown, supported: string[]): Cause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});

/** resource.Quantity's serialisation: a decimal with an optional binary or decimal suffix or exponent. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const FIELD_PATHS = [
  /^metadata\.(name|namespace|uid)$/,
  /^metadata\.(labels|annotations)\['[^']+'\]$/,
  /^spec\.(nodeName|serviceAccountName)$/,
  /^status\.(hostIP|hostIPs|podIP|podIPs)$/,
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateMeta(meta: unknown, nameRule: (n: string) => string[]): Cause[] {
  const causes: Cause[] = [];
  const m = isObj(meta) ? meta : {};
  if (typeof m.name !== 'string' || m.name === '')
    causes.push(required('metadata.name', 'name or generateName is required'));
  else for (const e of nameRule(m.name)) causes.push(invalid('metadata.name', m.name, e));
  causes.push(...validateLabels(m.labels, 'metadata.labels'));
  for (const key of Object.keys(isObj(m.annotations) ? m.annotations : {})) {
    for (const e of qualifiedName(key)) causes.push(invalid('metadata.annotations', key, e));
  }
  const size = JSON.stringify(m.annotations ?? {}).length;
  if (size > 256 * 1024)
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.annotations',
      message: `Too long: must have at most 262144 bytes`,
    });
  return causes;
}

export function validateLabels(labels: unknown, field: string): Cause[] {
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(isObj(labels) ? labels : {})) {
    for (const e of qualifiedName(key)) causes.push(invalid(field, key, e));
    if (typeof value !== 'string') causes.push(invalid(`${field}[${key}]`, value, 'must be a string'));
    else for (const e of labelValue(value)) causes.push(invalid(field, value, e));
  }
  return causes;
}

function nonNegative(causes: Cause[], field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    causes.push(invalid(field, value, 'must be greater than or equal to 0'));
  }
}

function validateResources(resources: unknown, at: string): Cause[] {
  const causes: Cause[] = [];
  const r = isObj(resources) ? resources : {};
  const lists = { limits: isObj(r.limits) ? r.limits : {}, requests: isObj(r.requests) ? r.requests : {} };
  for (const [kind, list] of Object.entries(lists)) {
    for (const [name, quantity] of Object.entries(list)) {
      const field = `${at}.resources.${kind}[${name}]`;
      const extended = name.includes('/') && !name.split('/')[0]!.endsWith('kubernetes.io');
      if (!STANDARD_RESOURCES.has(name) && !name.startsWith('hugepages-') && !extended) {
        causes.push(invalid(field, name, 'must be a standard resource for containers'));
        continue;
      }
      if (typeof quantity !== 'string' || !QUANTITY.test(quantity)) {
        causes.push(
          invalid(
            field,
            quantity,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
          ),
        );
        continue;
      }
      if (extended && !/^\d+$/.test(quantity)) causes.push(invalid(field, quantity, 'must be an integer'));
    }
  }
  for (const [name, quantity] of Object.entries(lists.requests)) {
    const extended = name.includes('/') && !name.split('/')[0]!.endsWith('kubernetes.io');
    if (extended && lists.limits[name] === undefined) {
      causes.push(invalid(`${at}.resources.limits`, name, 'Limit must be set for non overcommitable resources'));
    } else if (extended && lists.limits[name] !== quantity) {
      causes.push(
        invalid(
          `${at}.resources.requests`,
          quantity,
          `must be equal to ${name} limit of ${String(lists.limits[name])}`,
        ),
      );
    }
  }
  return causes;
}

function validateContainer(c: unknown, at: string, names: Set<string>): Cause[] {
  const causes: Cause[] = [];
  const container = isObj(c) ? c : {};
  if (typeof container.name !== 'string' || container.name === '') causes.push(required(`${at}.name`));
  else {
    for (const e of dns1123Label(container.name)) causes.push(invalid(`${at}.name`, container.name, e));
    if (names.has(container.name))
      causes.push({
        reason: 'FieldValueInvalid',
        field: `${at}.name`,
        message: `Duplicate value: "${container.name}"`,
      });
    names.add(container.name);
  }
  if (typeof container.image !== 'string' || container.image.trim() === '') causes.push(required(`${at}.image`));
  else if (container.image !== container.image.trim())
    causes.push(invalid(`${at}.image`, container.image, 'must not have leading or trailing whitespace'));
  for (const key of ['command', 'args'] as const) {
    const list = container[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((s) => typeof s !== 'string'))) {
      causes.push(invalid(`${at}.${key}`, list, 'must be a list of strings'));
    }
  }
  const env = Array.isArray(container.env) ? container.env : [];
  env.forEach((raw, i) => {
    const e = isObj(raw) ? raw : {};
    const field = `${at}.env[${i}]`;
    if (typeof e.name !== 'string' || e.name === '') causes.push(required(`${field}.name`));
    else if (!ENV_NAME.test(e.name)) {
      causes.push(
        invalid(
          `${field}.name`,
          e.name,
          "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        ),
      );
    }
    if (e.value !== undefined && e.valueFrom !== undefined) {
      causes.push(invalid(`${field}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    }
    if (e.value !== undefined && typeof e.value !== 'string')
      causes.push(invalid(`${field}.value`, e.value, 'must be a string'));
    if (isObj(e.valueFrom)) {
      const fieldRef = isObj(e.valueFrom.fieldRef) ? e.valueFrom.fieldRef : null;
      const path = fieldRef?.fieldPath;
      if (fieldRef && !(typeof path === 'string' && FIELD_PATHS.some((p) => p.test(path)))) {
        causes.push(
          unsupported(`${field}.valueFrom.fieldRef.fieldPath`, path, [
            'metadata.name',
            'metadata.namespace',
            'metadata.uid',
            'spec.nodeName',
            'status.podIP',
          ]),
        );
      }
    }
  });
  causes.push(...validateResources(container.resources, at));
  return causes;
}

function validateAffinity(affinity: unknown, at: string): Cause[] {
  const causes: Cause[] = [];
  if (!isObj(affinity)) return causes;
  const node = isObj(affinity.nodeAffinity) ? affinity.nodeAffinity : null;
  const requiredTerms =
    node && isObj(node.requiredDuringSchedulingIgnoredDuringExecution)
      ? node.requiredDuringSchedulingIgnoredDuringExecution
      : null;
  if (requiredTerms) {
    const field = `${at}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`;
    const terms = Array.isArray(requiredTerms.nodeSelectorTerms) ? requiredTerms.nodeSelectorTerms : [];
    if (terms.length === 0) causes.push(required(field, 'must have at least one node selector term'));
    terms.forEach((t, i) => {
      const term = isObj(t) ? t : {};
      const fields = Array.isArray(term.matchFields) ? term.matchFields : [];
      fields.forEach((f, j) => {
        const req = isObj(f) ? f : {};
        const path = `${field}[${i}].matchFields[${j}]`;
        if (req.operator === 'In' || req.operator === 'NotIn') {
          if (!Array.isArray(req.values) || req.values.length !== 1) {
            causes.push(
              required(
                `${path}.values`,
                "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
              ),
            );
          }
        } else causes.push(invalid(`${path}.operator`, req.operator, 'not a valid selector operator'));
        if (req.key !== 'metadata.name') causes.push(invalid(`${path}.key`, req.key, 'not a valid field selector key'));
      });
      const expressions = Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
      expressions.forEach((x, j) => {
        const req = isObj(x) ? x : {};
        const path = `${field}[${i}].matchExpressions[${j}]`;
        if (!['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'].includes(String(req.operator))) {
          causes.push(invalid(`${path}.operator`, req.operator, 'not a valid selector operator'));
        }
      });
    });
  }
  const anti = isObj(affinity.podAntiAffinity) ? affinity.podAntiAffinity : null;
  const antiTerms =
    anti && Array.isArray(anti.requiredDuringSchedulingIgnoredDuringExecution)
      ? anti.requiredDuringSchedulingIgnoredDuringExecution
      : [];
  antiTerms.forEach((t, i) => {
    const term = isObj(t) ? t : {};
    const path = `${at}.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[${i}]`;
    if (typeof term.topologyKey !== 'string' || term.topologyKey === '')
      causes.push(required(`${path}.topologyKey`, 'can not be empty'));
    else
      for (const e of qualifiedName(term.topologyKey)) causes.push(invalid(`${path}.topologyKey`, term.topologyKey, e));
    try {
      fromLabelSelectorObject(isObj(term.labelSelector) ? term.labelSelector : {});
    } catch (error) {
      causes.push(invalid(`${path}.labelSelector`, term.labelSelector, (error as Error).message));
    }
  });
  return causes;
}

export function validatePodTemplate(template: unknown, at: string): Cause[] {
  const causes: Cause[] = [];
  const t = isObj(template) ? template : {};
  const meta = isObj(t.metadata) ? t.metadata : {};
  causes.push(...validateLabels(meta.labels, `${at}.metadata.labels`));
  const spec = isObj(t.spec) ? t.spec : {};
  const s = `${at}.spec`;
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) causes.push(required(`${s}.containers`));
  const names = new Set<string>();
  containers.forEach((c, i) => causes.push(...validateContainer(c, `${s}.containers[${i}]`, names)));
  // A Job's pods may not restart in place forever: only Never and OnFailure (batch validation).
  if (spec.restartPolicy === undefined)
    causes.push(required(`${s}.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  else if (spec.restartPolicy !== 'Never' && spec.restartPolicy !== 'OnFailure') {
    causes.push(unsupported(`${s}.restartPolicy`, spec.restartPolicy, ['OnFailure', 'Never']));
  }
  nonNegative(causes, `${s}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds);
  for (const key of ['subdomain', 'hostname'] as const) {
    const value = spec[key];
    if (value !== undefined) for (const e of dns1123Label(String(value))) causes.push(invalid(`${s}.${key}`, value, e));
  }
  if (spec.schedulerName !== undefined)
    for (const e of dns1123Subdomain(String(spec.schedulerName)))
      causes.push(invalid(`${s}.schedulerName`, spec.schedulerName, e));
  causes.push(...validateAffinity(spec.affinity, `${s}.affinity`));
  return causes;
}

export function validateJob(job: Obj, on: 'create' | 'update' = 'create'): Cause[] {
  const causes = validateMeta(job.metadata, dns1123Subdomain);
  const name = isObj(job.metadata) ? job.metadata.name : undefined;
  // The Job's name becomes the batch.kubernetes.io/job-name label of its pods.
  if (typeof name === 'string' && name.length > 63)
    causes.push(invalid('metadata.name', name, 'must be no more than 63 characters'));
  const spec = isObj(job.spec) ? job.spec : {};
  // On create only: the stored Job carries the selector the API server generated.
  if (on === 'create' && spec.selector !== undefined && spec.manualSelector !== true) {
    causes.push(invalid('spec.selector', spec.selector, '`selector` will be auto-generated'));
  }
  for (const key of [
    'parallelism',
    'completions',
    'backoffLimit',
    'activeDeadlineSeconds',
    'ttlSecondsAfterFinished',
  ] as const) {
    nonNegative(causes, `spec.${key}`, spec[key]);
  }
  if (spec.activeDeadlineSeconds === 0) causes.push(invalid('spec.activeDeadlineSeconds', 0, 'must be greater than 0'));
  if (spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    causes.push(unsupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
    causes.push(required('spec.completions', 'when completion mode is Indexed'));
  }
  if (spec.suspend !== undefined && typeof spec.suspend !== 'boolean')
    causes.push(invalid('spec.suspend', spec.suspend, 'must be a boolean'));
  if (!isObj(spec.template)) causes.push(required('spec.template'));
  else causes.push(...validatePodTemplate(spec.template, 'spec.template'));
  return causes;
}

/** Fields of a Job that an update may not change (batch validation's ValidateJobSpecUpdate, for what we write). */
export function validateJobUpdate(before: Obj, after: Obj): Cause[] {
  const causes = validateJob(after, 'update');
  const b = before.spec as Obj;
  const a = after.spec as Obj;
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  for (const key of ['selector', 'completionMode', 'completions', 'template'] as const) {
    if (!same(b[key], a[key])) causes.push(invalid(`spec.${key}`, a[key], 'field is immutable'));
  }
  const bm = before.metadata as Obj;
  const am = after.metadata as Obj;
  for (const key of ['name', 'namespace', 'uid'] as const) {
    if (!same(bm[key], am[key])) causes.push(invalid(`metadata.${key}`, am[key], 'field is immutable'));
  }
  return causes;
}

export function validateService(service: Obj): Cause[] {
  const causes = validateMeta(service.metadata, dns1035Label);
  const meta = isObj(service.metadata) ? service.metadata : {};
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : [];
  owners.forEach((o, i) => {
    const owner = isObj(o) ? o : {};
    for (const key of ['apiVersion', 'kind', 'name', 'uid'] as const) {
      if (typeof owner[key] !== 'string' || owner[key] === '')
        causes.push(required(`metadata.ownerReferences[${i}].${key}`));
    }
  });
  const spec = isObj(service.spec) ? service.spec : {};
  causes.push(...validateLabels(spec.selector, 'spec.selector'));
  return causes;
}
