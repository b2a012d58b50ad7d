/**
 * The programme loader: YAML text → a checked `Programme`, or every problem found, each with its file, line, column
 * and field. Pure (the caller reads the files: src/money/programme-files.ts, the CLI); the `yaml` package's
 * `LineCounter` maps each field back to where it is written.
 *
 * Three passes: YAML syntax; the structure (schema.ts, TypeBox); the meaning, which a schema cannot check (real
 * dates, windows in order, funder shares summing to 100%, rates within their ceiling, one of fixed/ceiling/tiers,
 * unique ids). `checkProgrammeSet` then checks files together: unique ids, repeals naming a loaded programme,
 * versions of one series not in force on the same day, non-stacking groups that agree on their rule.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import { valueErrorText } from '../../schema-errors.ts';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { BASIS_POINTS, parseYuan, type Fen } from '../amount.ts';
import { isCivilDate, withinWindow } from './calendar.ts';
import { reduceRate } from './rates.ts';
import {
  FACTOR_PATTERN,
  PROGRAMME_API_VERSION,
  SubsidyProgrammeWire,
  VoucherProgrammeWire,
  type ConditionWire,
} from './schema.ts';
import type {
  Condition,
  Eligibility,
  FunderShare,
  Programme,
  RateRule,
  Rate,
  SubsidyProgramme,
  SubsidyRule,
  VoucherProgramme,
} from './types.ts';

/** One problem in a programme file. `path` is the field, dotted with list indexes: "spec.rules[0].rate.ceiling". */
export interface ProgrammeError {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** A programme and where it came from, so that checks across files can still point at a line. */
export interface LoadedProgramme {
  file: string;
  programme: Programme;
  locate(path: readonly PathSegment[]): { line: number; column: number };
}

export type ParseProgrammeResult = { ok: true; loaded: LoadedProgramme } | { ok: false; errors: ProgrammeError[] };

/** "file:line:column: path: message", the form editors and the CLI print. */
export function formatProgrammeError(e: ProgrammeError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path === '' ? '' : `${e.path}: `}${e.message}`;
}

export function pathText(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out === '' ? seg : `${out}.${seg}`),
    '',
  );
}

/** The position of the field at `path`: its key in a mapping, its item in a list, or the nearest existing parent. */
function locator(doc: Document, lines: LineCounter): LoadedProgramme['locate'] {
  return (path) => {
    let node: unknown = doc.contents;
    let offset = isNodeWithRange(node) ? node.range[0] : 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) break;
        if (isNodeWithRange(pair.key)) offset = pair.key.range[0];
        node = pair.value;
      } else if (isSeq(node)) {
        const item: unknown = node.items[Number(seg)];
        if (!isNodeWithRange(item)) break;
        offset = item.range[0];
        node = item;
      } else break;
    }
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
}

function isNodeWithRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

type Problem = { path: PathSegment[]; message: string };

/** Parses and checks one programme file. */
export function parseProgrammeText(text: string, file: string): ParseProgrammeResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { file, line, column: col, path: '', message: `YAML: ${(e.message.split('\n')[0] ?? '').trim()}` };
      }),
    };
  }
  const locate = locator(doc, lines);
  const toErrors = (problems: readonly Problem[]): ProgrammeError[] =>
    problems.map((p) => ({ file, ...locate(p.path), path: pathText(p.path), message: p.message }));

  const input: unknown = doc.toJS();
  if (!isRecord(input))
    return { ok: false, errors: toErrors([{ path: [], message: 'expected a programme (a mapping)' }]) };
  if (input['apiVersion'] !== PROGRAMME_API_VERSION)
    return {
      ok: false,
      errors: toErrors([{ path: ['apiVersion'], message: `must be ${PROGRAMME_API_VERSION}` }]),
    };
  const kind = input['kind'];
  if (kind === 'SubsidyProgramme') {
    const problems = structuralProblems(SubsidyProgrammeWire, input);
    if (problems.length > 0) return { ok: false, errors: toErrors(problems) };
    const converted = toSubsidyProgramme(input as Static<typeof SubsidyProgrammeWire>);
    if ('problems' in converted) return { ok: false, errors: toErrors(converted.problems) };
    return { ok: true, loaded: { file, programme: converted.programme, locate } };
  }
  if (kind === 'VoucherProgramme') {
    const problems = structuralProblems(VoucherProgrammeWire, input);
    if (problems.length > 0) return { ok: false, errors: toErrors(problems) };
    const converted = toVoucherProgramme(input as Static<typeof VoucherProgrammeWire>);
    if ('problems' in converted) return { ok: false, errors: toErrors(converted.problems) };
    return { ok: true, loaded: { file, programme: converted.programme, locate } };
  }
  return {
    ok: false,
    errors: toErrors([{ path: ['kind'], message: 'must be SubsidyProgramme or VoucherProgramme' }]),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? Number(seg) : seg));
}

const PATTERN_WORDS: Record<string, string> = {
  '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$': 'must be lowercase letters, digits and "-", at most 63 characters',
  '^\\d{1,3}(\\.\\d{1,2})?%$': 'must be a percentage with at most 2 decimals, e.g. "20%"',
  '^¥?(\\d{1,3}(,\\d{3})+|\\d+)(\\.\\d{1,2})?$':
    'must be an amount in yuan with at most 2 decimals, e.g. "¥1,000,000.00"',
  '^\\d{4}-\\d{2}-\\d{2}$': 'must be a date YYYY-MM-DD',
};

function structuralMessage(e: ValueError): string {
  const s = e.schema;
  if (e.type === ValueErrorType.Union) {
    const options = (s['anyOf'] as TSchema[] | undefined) ?? [];
    const said = valueErrorText(e);
    if (said !== 'has the wrong type') return said;
    if (options.some((o) => o['pattern'] === FACTOR_PATTERN)) return 'must be a factor such as "1.2"';
    if (options.some((o) => o['type'] === 'null')) return 'must be a date YYYY-MM-DD or null';
    return said;
  }
  if (e.type === ValueErrorType.String && s['pattern'] === '^\\d{1,3}(\\.\\d{1,2})?%$') {
    return 'must be a string such as "20%" (quote it)';
  }
  if (e.type === ValueErrorType.StringPattern && PATTERN_WORDS[String(s['pattern'])]) {
    return PATTERN_WORDS[String(s['pattern'])]!;
  }
  return valueErrorText(e);
}

function structuralProblems(schema: TSchema, input: unknown): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, input)) {
    const key = e.path;
    // TypeBox reports a missing property twice (required, then wrong type): keep the first per field.
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path: pointerToPath(e.path), message: structuralMessage(e) });
  }
  return problems;
}

// -----------------------------------------------------------------------------------------------------------------
// Meaning: conversion from the checked wire form, collecting every problem.

/** "20%" → 2000n, "12.5%" → 1250n. The pattern has been checked. */
function percentToBasisPoints(text: string): bigint {
  const [whole = '0', fraction = ''] = text.slice(0, -1).split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** "1.2" → 6/5. Numbers are read through their shortest decimal form (1.2 → "1.2"). */
function factorToRate(value: string | number): Rate | null {
  const text = typeof value === 'number' ? String(value) : value;
  if (!new RegExp(FACTOR_PATTERN).test(text)) return null;
  const [whole = '0', fraction = ''] = text.split('.');
  const scale = 10n ** BigInt(fraction.length);
  return reduceRate({
    numerator: BigInt(whole) * scale + BigInt(fraction === '' ? '0' : fraction),
    denominator: scale,
  });
}

class Problems {
  readonly list: Problem[] = [];
  add(path: PathSegment[], message: string): void {
    this.list.push({ path, message });
  }
}

function condition(wire: Static<typeof ConditionWire> | undefined): Condition {
  const c: Condition = {};
  if (wire === undefined) return c;
  if (wire.kinds !== undefined) c.kinds = [...wire.kinds];
  if (wire.domestic !== undefined) c.domestic = wire.domestic;
  if (wire.acceleratorModels !== undefined) c.acceleratorModels = [...wire.acceleratorModels];
  if (wire.providers !== undefined) c.providers = [...wire.providers];
  if (wire.providerRegions !== undefined) c.providerRegions = [...wire.providerRegions];
  if (wire.providerCities !== undefined) c.providerCities = [...wire.providerCities];
  if (wire.tenantCategories !== undefined) c.tenantCategories = [...wire.tenantCategories];
  if (wire.tenantRegions !== undefined) c.tenantRegions = [...wire.tenantRegions];
  if (wire.tenantVerified !== undefined) c.tenantVerified = wire.tenantVerified;
  if (wire.projectRegions !== undefined) c.projectRegions = [...wire.projectRegions];
  return c;
}

type EligibilityWireValue = Static<typeof SubsidyProgrammeWire>['spec']['eligibility'];

function eligibility(wire: EligibilityWireValue): Eligibility {
  const { excludeSelfBuiltSelfUsed, excludeAffiliated, ...rest } = wire ?? {};
  return {
    ...condition(rest),
    excludeSelfBuiltSelfUsed: excludeSelfBuiltSelfUsed ?? false,
    excludeAffiliated: excludeAffiliated ?? false,
  };
}

type CommonWire = Pick<
  Static<typeof SubsidyProgrammeWire>['spec'],
  'validFrom' | 'validTo' | 'funders' | 'payee' | 'rounding' | 'eligibility'
>;

/** Dates, window and funder shares: the checks both kinds share. */
function commonChecks(spec: CommonWire, problems: Problems): FunderShare[] {
  if (!isCivilDate(spec.validFrom)) problems.add(['spec', 'validFrom'], `${spec.validFrom} is not a calendar date`);
  const validTo = spec.validTo ?? null;
  if (validTo !== null && !isCivilDate(validTo)) problems.add(['spec', 'validTo'], `${validTo} is not a calendar date`);
  else if (validTo !== null && validTo < spec.validFrom)
    problems.add(['spec', 'validTo'], `the window ends (${validTo}) before it starts (${spec.validFrom})`);

  const funders: FunderShare[] = [];
  const seen = new Set<string>();
  spec.funders.forEach((f, i) => {
    if (seen.has(f.funder)) problems.add(['spec', 'funders', i, 'funder'], `funder ${f.funder} is listed twice`);
    seen.add(f.funder);
    const share = percentToBasisPoints(f.share);
    if (share === 0n) problems.add(['spec', 'funders', i, 'share'], 'a funder needs a share above 0%');
    funders.push({ funder: f.funder, shareBasisPoints: share });
  });
  const total = funders.reduce((sum, f) => sum + f.shareBasisPoints, 0n);
  if (total !== BASIS_POINTS) {
    const shares = spec.funders.map((f) => f.share);
    const what =
      shares.length === 1
        ? `the only funder share is ${shares[0] ?? ''}`
        : `funder shares sum to ${shares.join(' + ')} = ${Number(total) / 100}%`;
    problems.add(['spec', 'funders'], `${what}, not 100%`);
  }
  return funders;
}

function checkRatePercent(bp: bigint, path: PathSegment[], problems: Problems): void {
  if (bp > BASIS_POINTS) problems.add(path, 'a rate cannot exceed 100%');
}

type RuleWireValue = Static<typeof SubsidyProgrammeWire>['spec']['rules'][number];

function rule(wire: RuleWireValue, index: number, problems: Problems): SubsidyRule {
  const at = (...rest: PathSegment[]): PathSegment[] => ['spec', 'rules', index, ...rest];
  const r = wire.rate;
  let rate: RateRule = { type: 'fixed', basisPoints: 0n };
  const given = [r.fixed !== undefined ? 'fixed' : null, r.tiers !== undefined ? 'tiers' : null].filter(Boolean);
  if (given.length === 0 && r.ceiling === undefined)
    problems.add(at('rate'), 'needs one of fixed, ceiling (the office awards the rate) or tiers');
  else if (given.length > 1) problems.add(at('rate'), 'fixed and tiers exclude each other');
  else if (r.fixed !== undefined) {
    if (r.ceiling !== undefined)
      problems.add(at('rate', 'ceiling'), 'a fixed rate has no ceiling (use ceiling alone for an office-awarded rate)');
    if (r.combine !== undefined) problems.add(at('rate', 'combine'), 'combine applies to tiers only');
    rate = { type: 'fixed', basisPoints: percentToBasisPoints(r.fixed) };
    checkRatePercent(rate.basisPoints, at('rate', 'fixed'), problems);
  } else if (r.tiers !== undefined) {
    const ceiling = r.ceiling === undefined ? null : percentToBasisPoints(r.ceiling);
    const combine = r.combine ?? 'highest';
    if (combine === 'sum-up-to-ceiling' && ceiling === null)
      problems.add(at('rate'), 'tiers that add up (sum-up-to-ceiling) need a ceiling');
    if (ceiling !== null) checkRatePercent(ceiling, at('rate', 'ceiling'), problems);
    const ids = new Set<string>();
    const tiers = r.tiers.map((t, i) => {
      if (ids.has(t.id)) problems.add(at('rate', 'tiers', i, 'id'), `tier ${t.id} is defined twice`);
      ids.add(t.id);
      const basisPoints = percentToBasisPoints(t.rate);
      checkRatePercent(basisPoints, at('rate', 'tiers', i, 'rate'), problems);
      if (ceiling !== null && basisPoints > ceiling)
        problems.add(at('rate', 'tiers', i, 'rate'), `rate ${t.rate} is above the ceiling ${r.ceiling ?? ''}`);
      return { id: t.id, when: condition(t.when), basisPoints };
    });
    rate = { type: 'tiered', tiers, combine, ceilingBasisPoints: ceiling };
  } else if (r.ceiling !== undefined) {
    if (r.combine !== undefined) problems.add(at('rate', 'combine'), 'combine applies to tiers only');
    rate = { type: 'ceiling', ceilingBasisPoints: percentToBasisPoints(r.ceiling) };
    checkRatePercent(rate.ceilingBasisPoints, at('rate', 'ceiling'), problems);
  }

  const multiplierIds = new Set<string>();
  const multipliers = (wire.multipliers ?? []).map((m, i) => {
    if (multiplierIds.has(m.id)) problems.add(at('multipliers', i, 'id'), `multiplier ${m.id} is defined twice`);
    multiplierIds.add(m.id);
    const factor = factorToRate(m.factor);
    if (factor === null || factor.numerator === 0n)
      problems.add(
        at('multipliers', i, 'factor'),
        `factor ${String(m.factor)} must be a positive decimal such as "1.2"`,
      );
    return { id: m.id, when: condition(m.when), factor: factor ?? { numerator: 1n, denominator: 1n } };
  });
  return { id: wire.id, base: wire.base, appliesTo: condition(wire.appliesTo), rate, multipliers };
}

function positiveYuan(text: string | undefined, path: PathSegment[], problems: Problems): Fen | null {
  if (text === undefined) return null;
  const fen = parseYuan(text);
  if (fen <= 0n) problems.add(path, 'must be above ¥0.00 (leave it out for no limit)');
  return fen;
}

function toSubsidyProgramme(
  wire: Static<typeof SubsidyProgrammeWire>,
): { programme: SubsidyProgramme } | { problems: Problem[] } {
  const problems = new Problems();
  const spec = wire.spec;
  const funders = commonChecks(spec, problems);

  if (spec.supersedes !== undefined) {
    const s = spec.supersedes;
    if (s.programme === wire.metadata.id)
      problems.add(['spec', 'supersedes', 'programme'], 'a programme cannot repeal itself');
    if (!isCivilDate(s.from)) problems.add(['spec', 'supersedes', 'from'], `${s.from} is not a calendar date`);
    else if (isCivilDate(spec.validFrom) && !withinWindow(s.from, spec.validFrom, spec.validTo ?? null))
      problems.add(
        ['spec', 'supersedes', 'from'],
        `the repeal takes effect on ${s.from}, outside this programme's own window ${spec.validFrom}..${spec.validTo ?? ''}`,
      );
  }

  if (spec.budget?.period !== undefined && spec.budget.exhaustion !== 'pro-rata-at-close')
    problems.add(
      ['spec', 'budget', 'period'],
      `a ${spec.budget.exhaustion} budget pays as it goes and has no period to close; a period needs pro-rata-at-close`,
    );

  const ruleIds = new Set<string>();
  const rules = spec.rules.map((w, i) => {
    if (ruleIds.has(w.id)) problems.add(['spec', 'rules', i, 'id'], `rule ${w.id} is defined twice`);
    ruleIds.add(w.id);
    return rule(w, i, problems);
  });

  const caps = {
    perTransactionFen: positiveYuan(spec.caps?.perTransaction, ['spec', 'caps', 'perTransaction'], problems),
    perTenantPerYearFen: positiveYuan(spec.caps?.perTenantPerYear, ['spec', 'caps', 'perTenantPerYear'], problems),
    programmeTotalFen: positiveYuan(spec.caps?.programmeTotal, ['spec', 'caps', 'programmeTotal'], problems),
  };
  const minimumBaseFen = spec.minimumBase === undefined ? 0n : parseYuan(spec.minimumBase);
  const minimumAwardFen = spec.minimumAward === undefined ? 0n : parseYuan(spec.minimumAward);
  for (const [name, cap] of Object.entries(caps))
    if (cap !== null && cap > 0n && minimumAwardFen > cap)
      problems.add(
        ['spec', 'minimumAward'],
        `the minimum award is above the ${name.replace(/Fen$/, '')} cap: nothing could be paid`,
      );

  if (problems.list.length > 0) return { problems: problems.list };
  return {
    programme: {
      kind: 'SubsidyProgramme',
      metadata: { ...wire.metadata, sources: [...wire.metadata.sources] },
      validFrom: spec.validFrom,
      validTo: spec.validTo ?? null,
      supersedes:
        spec.supersedes === undefined
          ? null
          : {
              programmeId: spec.supersedes.programme,
              from: spec.supersedes.from,
              commitmentsKeepTerms: spec.supersedes.commitmentsKeepTerms,
            },
      payee: spec.payee,
      rounding: spec.rounding,
      funders,
      budget:
        spec.budget === undefined
          ? null
          : spec.budget.exhaustion === 'pro-rata-at-close'
            ? { exhaustion: spec.budget.exhaustion, period: spec.budget.period ?? 'year' }
            : { exhaustion: spec.budget.exhaustion },
      stacking:
        spec.stacking === undefined
          ? null
          : { group: spec.stacking.group, resolve: spec.stacking.resolve, precedence: spec.stacking.precedence ?? 0 },
      eligibility: eligibility(spec.eligibility),
      caps,
      minimumBaseFen,
      minimumAwardFen,
      rules,
    },
  };
}

function toVoucherProgramme(
  wire: Static<typeof VoucherProgrammeWire>,
): { programme: VoucherProgramme } | { problems: Problem[] } {
  const problems = new Problems();
  const spec = wire.spec;
  const funders = commonChecks(spec, problems);
  const v = spec.voucher;
  const faceValuesFen = v.faceValues.map((text, i) => {
    const fen = parseYuan(text);
    if (fen <= 0n) problems.add(['spec', 'voucher', 'faceValues', i], 'a face value must be above ¥0.00');
    return fen;
  });
  const maxShare = percentToBasisPoints(v.maxShareOfCharge);
  if (maxShare === 0n || maxShare > BASIS_POINTS)
    problems.add(['spec', 'voucher', 'maxShareOfCharge'], 'must be above 0% and at most 100%');
  const perTenantPerYearFen = positiveYuan(v.perTenantPerYear, ['spec', 'voucher', 'perTenantPerYear'], problems);
  if (perTenantPerYearFen !== null)
    faceValuesFen.forEach((fen, i) => {
      if (fen > perTenantPerYearFen)
        problems.add(
          ['spec', 'voucher', 'faceValues', i],
          'a face value above the per-tenant yearly limit could never be issued',
        );
    });
  if (problems.list.length > 0) return { problems: problems.list };
  return {
    programme: {
      kind: 'VoucherProgramme',
      metadata: { ...wire.metadata, sources: [...wire.metadata.sources] },
      validFrom: spec.validFrom,
      validTo: spec.validTo ?? null,
      funders,
      rounding: spec.rounding,
      eligibility: eligibility(spec.eligibility),
      usableFor: [...v.usableFor],
      appliesTo: condition(v.appliesTo),
      faceValuesFen,
      validityDays: v.validityDays,
      maxShareOfChargeBasisPoints: maxShare,
      perTenantPerYearFen,
      payee: spec.payee,
    },
  };
}

// -----------------------------------------------------------------------------------------------------------------
// Checks across files

/** The day a programme stops being in force for new charges: its repeal date, else the day after its window. */
function inForceOn(p: Programme, repealFrom: string | null, date: string): boolean {
  return withinWindow(date, p.validFrom, p.validTo) && (repealFrom === null || date < repealFrom);
}

/**
 * Checks programmes loaded from several files together: duplicate ids, repeals of a programme that is not loaded (or
 * is a voucher programme), two versions of one series in force on the same day, and non-stacking groups whose
 * programmes disagree on how to resolve.
 */
export function checkProgrammeSet(loaded: readonly LoadedProgramme[]): ProgrammeError[] {
  const errors: ProgrammeError[] = [];
  const at = (l: LoadedProgramme, path: PathSegment[], message: string): void => {
    errors.push({ file: l.file, ...l.locate(path), path: pathText(path), message });
  };
  const byId = new Map<string, LoadedProgramme>();
  for (const l of loaded) {
    const id = l.programme.metadata.id;
    const first = byId.get(id);
    if (first !== undefined) at(l, ['metadata', 'id'], `programme ${id} is also defined in ${first.file}`);
    else byId.set(id, l);
  }

  const repealFrom = new Map<string, string>();
  for (const l of loaded) {
    const p = l.programme;
    if (p.kind !== 'SubsidyProgramme' || p.supersedes === null) continue;
    const target = byId.get(p.supersedes.programmeId);
    if (target === undefined)
      at(
        l,
        ['spec', 'supersedes', 'programme'],
        `repeals ${p.supersedes.programmeId}, which is not among the programmes loaded`,
      );
    else if (target.programme.kind !== 'SubsidyProgramme')
      at(
        l,
        ['spec', 'supersedes', 'programme'],
        `repeals ${p.supersedes.programmeId}, which is not a subsidy programme`,
      );
    else {
      const earlier = repealFrom.get(p.supersedes.programmeId);
      if (earlier === undefined || p.supersedes.from < earlier)
        repealFrom.set(p.supersedes.programmeId, p.supersedes.from);
    }
  }

  const unique = [...byId.values()];
  for (let i = 0; i < unique.length; i++) {
    for (let j = i + 1; j < unique.length; j++) {
      const [a, b] = [unique[i], unique[j]];
      if (a === undefined || b === undefined) continue;
      if (a.programme.metadata.series !== b.programme.metadata.series) continue;
      const firstCommonDay =
        a.programme.validFrom > b.programme.validFrom ? a.programme.validFrom : b.programme.validFrom;
      const ra = repealFrom.get(a.programme.metadata.id) ?? null;
      const rb = repealFrom.get(b.programme.metadata.id) ?? null;
      if (inForceOn(a.programme, ra, firstCommonDay) && inForceOn(b.programme, rb, firstCommonDay)) {
        const later = a.programme.validFrom >= b.programme.validFrom ? a : b;
        const other = later === a ? b : a;
        at(
          later,
          ['spec', 'validFrom'],
          `${later.programme.metadata.id} and ${other.programme.metadata.id} (series ${later.programme.metadata.series}) ` +
            `are both in force on ${firstCommonDay}: end one, or repeal it (spec.supersedes)`,
        );
      }
    }
  }

  const groups = new Map<string, LoadedProgramme>();
  for (const l of unique) {
    const p = l.programme;
    if (p.kind !== 'SubsidyProgramme' || p.stacking === null) continue;
    const first = groups.get(p.stacking.group);
    const firstStacking = first?.programme.kind === 'SubsidyProgramme' ? first.programme.stacking : null;
    if (first === undefined || firstStacking === null) groups.set(p.stacking.group, l);
    else if (firstStacking.resolve !== p.stacking.resolve)
      at(
        l,
        ['spec', 'stacking', 'resolve'],
        `group ${p.stacking.group} resolves by ${firstStacking.resolve} in ${first.programme.metadata.id}, here by ${p.stacking.resolve}`,
      );
  }
  return errors;
}

/** Loads several files and checks them together. Programmes are returned only if there is no error at all. */
export function loadProgrammes(files: readonly { file: string; text: string }[]): {
  programmes: Programme[];
  loaded: LoadedProgramme[];
  errors: ProgrammeError[];
} {
  const loaded: LoadedProgramme[] = [];
  const errors: ProgrammeError[] = [];
  for (const f of files) {
    const result = parseProgrammeText(f.text, f.file);
    if (result.ok) loaded.push(result.loaded);
    else errors.push(...result.errors);
  }
  errors.push(...checkProgrammeSet(loaded));
  return { programmes: errors.length === 0 ? loaded.map((l) => l.programme) : [], loaded, errors };
}
