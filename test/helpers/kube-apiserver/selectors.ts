/**
 * Label selectors and names as the Kubernetes API server parses and validates them (the string form of
 * `?labelSelector=`: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated; and
 * metav1.LabelSelector objects), plus the name rules of apimachinery's validation (RFC 1123 labels and subdomains,
 * RFC 1035 labels for Services, qualified names for label keys, label values of at most 63 characters).
 */

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Messages in apimachinery's words, or [] when valid. */
export function dns1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    errors.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    );
  }
  return errors;
}

export function dns1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  }
  return errors;
}

export function dns1035Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!DNS1035_LABEL.test(value)) {
    errors.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    );
  }
  return errors;
}

/** A label or annotation key: an optional DNS subdomain prefix and a name of at most 63 characters. */
export function qualifiedName(key: string): string[] {
  const parts = key.split('/');
  const errors: string[] = [];
  if (parts.length > 2) return ['a qualified name must consist of an optional prefix, "/" and a name'];
  const name = parts[parts.length - 1]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === '') errors.push('name part must be non-empty');
  else if (name.length > 63) errors.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME_PART.test(name)) {
    errors.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return errors;
}

export function labelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    errors.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  }
  return errors;
}

export type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists'; values: [] };

export class SelectorError extends Error {}

/** Splits on commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function parseLabelSelector(text: string): Requirement[] {
  if (text.trim() === '') return [];
  return splitTop(text).map((raw) => {
    const part = raw.trim();
    let match: RegExpMatchArray | null;
    let requirement: Requirement;
    if ((match = part.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const values = match[3]!.split(',').map((v) => v.trim());
      requirement = { key: match[1]!, op: match[2] as 'in' | 'notin', values };
    } else if ((match = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      requirement = { key: match[1]!, op: match[2] === '!=' ? 'notin' : 'in', values: [match[3]!] };
    } else if ((match = part.match(/^!\s*([^=!\s]+)$/))) {
      requirement = { key: match[1]!, op: '!exists', values: [] };
    } else if ((match = part.match(/^([^=!\s()]+)$/))) {
      requirement = { key: match[1]!, op: 'exists', values: [] };
    } else {
      throw new SelectorError(
        `unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, or identifier`,
      );
    }
    const keyErrors = qualifiedName(requirement.key);
    if (keyErrors.length > 0)
      throw new SelectorError(
        `unable to parse requirement: invalid label key "${requirement.key}": ${keyErrors.join('; ')}`,
      );
    for (const value of requirement.values) {
      const valueErrors = labelValue(value);
      if (valueErrors.length > 0)
        throw new SelectorError(
          `unable to parse requirement: invalid label value: "${value}": at key: "${requirement.key}": ${valueErrors.join('; ')}`,
        );
    }
    return requirement;
  });
}

export function matches(requirements: Requirement[], labels: Record<string, string> = {}): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
    }
  });
}

/** A metav1.LabelSelector object ({matchLabels, matchExpressions}) as requirements. */
export function fromLabelSelectorObject(selector: {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}): Requirement[] {
  const out: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
    key,
    op: 'in' as const,
    values: [value],
  }));
  for (const e of selector.matchExpressions ?? []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' }[e.operator];
    if (!op) throw new SelectorError(`"${e.operator}" is not a valid label selector operator`);
    out.push(
      op === 'in' || op === 'notin'
        ? { key: e.key, op, values: e.values ?? [] }
        : { key: e.key, op: op as 'exists' | '!exists', values: [] },
    );
  }
  return out;
}
