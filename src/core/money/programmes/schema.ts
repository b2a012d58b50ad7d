/**
 * The wire format of programme files (suanli.io/v1 SubsidyProgramme and VoucherProgramme), as TypeBox schemas: the
 * single source of the structure, checked by the loader and exported as docs/programmes.schema.json
 * (`npm run schema:programmes`; a test fails when that file is stale). What a schema cannot say — rates above their
 * ceiling, shares that do not sum to 100%, dates that do not exist, windows in the wrong order — load.ts checks.
 *
 * Money is written in yuan as a string ("¥1,000,000.00"), rates as a percentage string ("20%"), dates as
 * YYYY-MM-DD (China Standard Time): strings, so that YAML never turns an amount into a float.
 */
import { Type, type Static, type TArray, type TLiteral, type TString, type TUnion } from '@sinclair/typebox';
import { ROUNDING_MODES } from '../amount.ts';
import { TENANT_CATEGORIES } from '../../domain.ts';
import {
  BASES,
  CLOSE_PERIODS,
  EXHAUSTION_RULES,
  PAYEES,
  SPEND_KINDS,
  STACKING_RESOLUTIONS,
  TIER_COMBINATIONS,
} from './types.ts';

export const PROGRAMME_API_VERSION = 'suanli.io/v1';

export const ID_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
export const PERCENT_PATTERN = '^\\d{1,3}(\\.\\d{1,2})?%$';
export const YUAN_PATTERN = '^¥?(\\d{1,3}(,\\d{3})+|\\d+)(\\.\\d{1,2})?$';
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
export const FACTOR_PATTERN = '^\\d{1,3}(\\.\\d{1,4})?$';

const literals = <T extends readonly string[]>(values: T, description: string): TUnion<TLiteral<T[number]>[]> =>
  Type.Union(values.map((v) => Type.Literal(v)) as TLiteral<T[number]>[], { description });

const Id = (description: string): TString => Type.String({ pattern: ID_PATTERN, description });
const Percent = (description: string): TString =>
  Type.String({ pattern: PERCENT_PATTERN, description: `${description} A percentage, e.g. "20%" or "12.5%".` });
const Yuan = (description: string): TString =>
  Type.String({ pattern: YUAN_PATTERN, description: `${description} Yuan, e.g. "¥1,000,000.00".` });
const CivilDateWire = (description: string): TString =>
  Type.String({ pattern: DATE_PATTERN, description: `${description} YYYY-MM-DD, China Standard Time.` });
const Names = (description: string): TArray<TString> =>
  Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: `${description} (any of).` });

export const ConditionWire = Type.Object(
  {
    kinds: Type.Optional(Type.Array(literals(SPEND_KINDS, 'a product'), { minItems: 1, description: 'Products.' })),
    domestic: Type.Optional(
      Type.Boolean({ description: 'true: domestic (国产) accelerators only; false: imported only.' }),
    ),
    acceleratorModels: Type.Optional(Names('Accelerator models')),
    providers: Type.Optional(Names('Listed providers, by id')),
    providerRegions: Type.Optional(Names('Provider region tags')),
    providerCities: Type.Optional(Names('Provider cities')),
    tenantCategories: Type.Optional(
      Type.Array(literals(TENANT_CATEGORIES, 'a tenant category'), { minItems: 1, description: 'Tenant categories.' }),
    ),
    tenantRegions: Type.Optional(Names('Regions the tenant is registered in, e.g. anhui for 在皖')),
    tenantVerified: Type.Optional(Type.Boolean({ description: 'The tenant has been verified by the office.' })),
    projectRegions: Type.Optional(Names('Region tags of the project, e.g. wanbei')),
  },
  { additionalProperties: false, description: 'All given fields must hold; a list holds when any value matches.' },
);

const EligibilityWire = Type.Object(
  {
    ...ConditionWire.properties,
    excludeSelfBuiltSelfUsed: Type.Optional(
      Type.Boolean({ description: '自建自用除外: no award when the tenant owns the provider.' }),
    ),
    excludeAffiliated: Type.Optional(
      Type.Boolean({ description: "No award when the provider's owner is affiliated with the tenant." }),
    ),
  },
  { additionalProperties: false, description: 'Who may receive awards at all.' },
);

const MetadataWire = Type.Object(
  {
    id: Id('Unique programme id; awards and ledger accounts are keyed on it.'),
    version: Type.String({ minLength: 1, description: 'The policy\'s own version label, e.g. "2.0".' }),
    series: Id('Versions of one programme share a series; their windows in force must not overlap.'),
    title: Type.String({ minLength: 1 }),
    sources: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'Citations: document, article or item.',
    }),
  },
  { additionalProperties: false },
);

const FundersWire = Type.Array(
  Type.Object(
    { funder: Id('Who pays, e.g. anhui-province.'), share: Percent('Its share of every award.') },
    { additionalProperties: false },
  ),
  { minItems: 1, description: 'Who pays each award, in shares summing to 100%.' },
);

const RateWire = Type.Object(
  {
    fixed: Type.Optional(Percent('A rate the programme fixes.')),
    ceiling: Type.Optional(
      Percent(
        'Alone: the most the office may award (it awards each tenant its rate). With tiers: the most they add to.',
      ),
    ),
    tiers: Type.Optional(
      Type.Array(
        Type.Object(
          { id: Id('Names the tier in statements.'), when: ConditionWire, rate: Percent("The tier's rate.") },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    ),
    combine: Type.Optional(literals(TIER_COMBINATIONS, 'How applicable tiers combine.')),
  },
  { additionalProperties: false, description: 'Exactly one of fixed, ceiling (alone) or tiers.' },
);

const RuleWire = Type.Object(
  {
    id: Id('Names the rule in awards.'),
    base: literals(BASES, 'The amount of the charge the rate applies to.'),
    appliesTo: Type.Optional(ConditionWire),
    rate: RateWire,
    multipliers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Id('Names the multiplier in statements.'),
            when: ConditionWire,
            factor: Type.Union([Type.String({ pattern: FACTOR_PATTERN }), Type.Number()], {
              description: 'Multiplies the rate, e.g. "1.2".',
            }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1 },
      ),
    ),
  },
  { additionalProperties: false },
);

const CommonSpec = {
  validFrom: CivilDateWire('First day in force.'),
  validTo: Type.Optional(Type.Union([CivilDateWire('Last day in force (inclusive).'), Type.Null()])),
  payee: literals(PAYEES, 'tenant: paid after the fact; provider: a discount at the point of sale.'),
  rounding: literals(ROUNDING_MODES, 'How an exact award becomes whole fen.'),
  funders: FundersWire,
  eligibility: Type.Optional(EligibilityWire),
};

const SubsidySpecWire = Type.Object(
  {
    ...CommonSpec,
    supersedes: Type.Optional(
      Type.Object(
        {
          programme: Id('The programme this one repeals.'),
          from: CivilDateWire('The first day the old programme no longer applies.'),
          commitmentsKeepTerms: Type.Boolean({
            description: 'Commitments signed under the old programme before `from` keep its terms.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    budget: Type.Optional(
      Type.Object(
        {
          exhaustion: literals(EXHAUSTION_RULES, 'When a pool runs dry.'),
          period: Type.Optional(
            literals(
              CLOSE_PERIODS,
              'pro-rata-at-close only: the natural period (China Standard Time) whose claims one close settles; default year.',
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    stacking: Type.Optional(
      Type.Object(
        {
          group: Id('Programmes of one group pay at most one award per charge.'),
          resolve: literals(STACKING_RESOLUTIONS, 'Which award of the group is paid.'),
          precedence: Type.Optional(Type.Integer({ description: 'Higher wins under `precedence` (default 0).' })),
        },
        { additionalProperties: false },
      ),
    ),
    caps: Type.Optional(
      Type.Object(
        {
          perTransaction: Type.Optional(Yuan('Most one charge earns.')),
          perTenantPerYear: Type.Optional(Yuan('Most one tenant earns per natural year.')),
          programmeTotal: Type.Optional(Yuan('Most the programme pays in all.')),
        },
        { additionalProperties: false },
      ),
    ),
    minimumBase: Type.Optional(Yuan('A smaller base earns nothing.')),
    minimumAward: Type.Optional(Yuan('A smaller award is not paid.')),
    rules: Type.Array(RuleWire, { minItems: 1, description: 'Tried in order; the first that applies pays.' }),
  },
  { additionalProperties: false },
);

const VoucherSpecWire = Type.Object(
  {
    ...CommonSpec,
    voucher: Type.Object(
      {
        usableFor: Type.Array(literals(SPEND_KINDS, 'a product'), { minItems: 1 }),
        appliesTo: Type.Optional(ConditionWire),
        faceValues: Type.Array(Yuan('A face value the office may issue.'), { minItems: 1 }),
        validityDays: Type.Integer({ minimum: 1, maximum: 3660, description: 'Days from issue (inclusive).' }),
        maxShareOfCharge: Percent('The largest share of one charge a voucher may pay.'),
        perTenantPerYear: Type.Optional(Yuan('Most face value issued to one tenant per natural year.')),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const SubsidyProgrammeWire = Type.Object(
  {
    apiVersion: Type.Literal(PROGRAMME_API_VERSION),
    kind: Type.Literal('SubsidyProgramme'),
    metadata: MetadataWire,
    spec: SubsidySpecWire,
  },
  { additionalProperties: false },
);
export type SubsidyProgrammeWire = Static<typeof SubsidyProgrammeWire>;

export const VoucherProgrammeWire = Type.Object(
  {
    apiVersion: Type.Literal(PROGRAMME_API_VERSION),
    kind: Type.Literal('VoucherProgramme'),
    metadata: MetadataWire,
    spec: VoucherSpecWire,
  },
  { additionalProperties: false },
);
export type VoucherProgrammeWire = Static<typeof VoucherProgrammeWire>;

/** The JSON Schema of a programme file, as written to docs/programmes.schema.json. */
export function programmeJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://suanli.io/schemas/programme.json',
    title: 'suanli subsidy or voucher programme (suanli.io/v1)',
    description: 'See docs/programmes.md.',
    oneOf: [SubsidyProgrammeWire, VoucherProgrammeWire],
  };
}
