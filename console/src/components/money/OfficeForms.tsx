/**
 * The programme office's money forms: on a tenant's Spend page, record a top-up of its wallet (POST /wallet/top-ups)
 * and issue it a voucher (POST /vouchers); on a provider's Payouts page, record a payment of what the platform owes it
 * (POST /providers/{provider}/payouts). Amounts are typed in yuan and sent as exact whole fen; each field is checked
 * before anything is sent, and the server's problem detail is shown as it comes (a payout above what is owed is the
 * server's to refuse: it reads the payable under a lock, where the figure shown may already be out of date).
 */
import { useState, type FormEvent } from 'react';
import { SPEND_KINDS as VOUCHER_KINDS } from '../../../../src/core/money/programmes/types.ts';
import type { IssuedVoucher, Recorded } from '../../api.ts';
import { yuanToFen } from '../../i18n/money.ts';
import type { MessageKey } from '../../i18n/messages.ts';
import { useI18n } from '../../i18n/i18n.tsx';
import { useSession } from '../../session.tsx';
import { ErrorNotice, Success } from '../Notice.tsx';

const VOUCHER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** A date (YYYY-MM-DD, as a date input gives it) as an instant of China Standard Time, where programmes count days. */
const chinaInstant = (date: string, time: string) => `${date}T${time}+08:00`;
const chinaDate = (offsetDays: number) =>
  new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/**
 * A payment the office records by its bank transfer's reference: an amount in yuan and the reference, posted as
 * `{amountFen, reference, ...extra}`. A reference recorded before is a repeat the ledger ignores, and is said so
 * rather than taken for a second payment.
 */
function RecordedPaymentForm({
  idPrefix,
  path,
  extra = {},
  labels,
  hint,
  done: said,
  onDone,
}: {
  idPrefix: string;
  path: string;
  extra?: Record<string, string>;
  labels: { heading: MessageKey; reference: MessageKey; submit: MessageKey };
  /** Shown under the heading, describing the amount (what is owed). */
  hint?: string;
  /** What to say of a payment recorded now, and of a repeated reference. */
  done: { recorded(amount: string): string; repeated(reference: string): string };
  onDone(): void;
}) {
  const { api } = useSession();
  const { t, money } = useI18n();
  const [amount, setAmount] = useState('');
  const [reference, setReference] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const amountFen = yuanToFen(amount);
    if (amountFen === null) return setError(new Error(t('form.invalidYuan', { field: t('office.amount') })));
    if (!reference.trim()) return setError(new Error(t('form.required', { field: t(labels.reference) })));
    try {
      const recorded = await api<Recorded>(path, {
        method: 'POST',
        body: { ...extra, amountFen, reference: reference.trim() },
      });
      setError(null);
      setDone(recorded.created ? said.recorded(money(amountFen)) : said.repeated(reference.trim()));
      setAmount('');
      setReference('');
      onDone();
    } catch (e) {
      setError(asError(e));
    }
  };
  const hintId = `${idPrefix}-owed`;
  return (
    <form
      onSubmit={(e) => void submit(e)}
      className="card form-grid"
      aria-labelledby={`${idPrefix}-heading`}
      noValidate
    >
      <h2 id={`${idPrefix}-heading`} className="wide">
        {t(labels.heading)}
      </h2>
      {hint !== undefined && (
        <p className="wide hint" id={hintId} data-testid={hintId}>
          {hint}
        </p>
      )}
      <div>
        <label htmlFor={`${idPrefix}-amount`}>{t('office.amount')}</label>
        <input
          id={`${idPrefix}-amount`}
          inputMode="decimal"
          {...(hint !== undefined ? { 'aria-describedby': hintId } : {})}
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
      </div>
      <div>
        <label htmlFor={`${idPrefix}-reference`}>{t(labels.reference)}</label>
        <input id={`${idPrefix}-reference`} value={reference} onChange={(e) => setReference(e.target.value)} />
      </div>
      <div className="wide">
        <ErrorNotice error={error} />
        {done && <Success>{done}</Success>}
        <button type="submit">{t(labels.submit)}</button>
      </div>
    </form>
  );
}

export function TopUpForm({ tenantId, onDone }: { tenantId: string; onDone(): void }) {
  const { t } = useI18n();
  return (
    <RecordedPaymentForm
      idPrefix="top-up"
      path="/wallet/top-ups"
      extra={{ tenantId }}
      labels={{ heading: 'office.topUp', reference: 'office.reference', submit: 'office.topUpSubmit' }}
      done={{
        recorded: (amount) => t('office.toppedUp', { amount, tenant: tenantId }),
        repeated: (reference) => t('office.topUpRepeated', { reference }),
      }}
      onDone={onDone}
    />
  );
}

/** `owedFen`: what the platform owes the provider as last read (whole fen, a string), shown beside the amount. */
export function PayOutForm({ providerId, owedFen, onDone }: { providerId: string; owedFen: string; onDone(): void }) {
  const { t, money } = useI18n();
  return (
    <RecordedPaymentForm
      idPrefix="pay-out"
      path={`/providers/${encodeURIComponent(providerId)}/payouts`}
      labels={{ heading: 'office.payOut', reference: 'office.payoutReference', submit: 'office.payOutSubmit' }}
      hint={t('office.owed', { amount: money(owedFen) })}
      done={{
        recorded: (amount) => t('office.paidOut', { amount, provider: providerId }),
        repeated: (reference) => t('office.payOutRepeated', { reference }),
      }}
      onDone={onDone}
    />
  );
}

export function IssueVoucherForm({ tenantId, onDone }: { tenantId: string; onDone(): void }) {
  const { api } = useSession();
  const { t, money } = useI18n();
  const [values, setValues] = useState({
    id: '',
    kind: 'compute' as (typeof VOUCHER_KINDS)[number],
    programmeId: '',
    funder: '',
    face: '',
    validFrom: chinaDate(0),
    validTo: chinaDate(30),
    providers: '',
  });
  const [error, setError] = useState<Error | null>(null);
  const [issued, setIssued] = useState<IssuedVoucher | null>(null);
  const set = (key: keyof typeof values, value: string) => setValues((v) => ({ ...v, [key]: value }));

  /** The first problem, naming its field, or null. */
  const problem = (): string | null => {
    const required: Array<[keyof typeof values, MessageKey]> = [
      ['id', 'voucher.id'],
      ['programmeId', 'voucher.programme'],
      ['funder', 'office.funder'],
    ];
    for (const [key, label] of required) if (!values[key].trim()) return t('form.required', { field: t(label) });
    if (!VOUCHER_ID.test(values.id.trim())) return t('office.invalidVoucherId', { field: t('voucher.id') });
    if (yuanToFen(values.face) === null) return t('form.invalidYuan', { field: t('voucher.face') });
    if (!values.validFrom) return t('form.required', { field: t('office.validFrom') });
    if (!values.validTo) return t('form.required', { field: t('office.validTo') });
    if (values.validTo < values.validFrom)
      return t('office.validToBeforeFrom', { field: t('office.validTo'), from: t('office.validFrom') });
    return null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setIssued(null);
    const invalid = problem();
    if (invalid) return setError(new Error(invalid));
    const providers = values.providers.split(/[,，\s]+/).filter(Boolean);
    try {
      const voucher = await api<IssuedVoucher>('/vouchers', {
        method: 'POST',
        body: {
          id: values.id.trim(),
          kind: values.kind,
          tenantId,
          programmeId: values.programmeId.trim(),
          funder: values.funder.trim(),
          faceFen: yuanToFen(values.face),
          validFrom: chinaInstant(values.validFrom, '00:00:00'),
          validTo: chinaInstant(values.validTo, '23:59:59'),
          ...(providers.length > 0 ? { providers } : {}),
        },
      });
      setError(null);
      setIssued(voucher);
      set('id', '');
      onDone();
    } catch (e) {
      setError(asError(e));
    }
  };

  const text = (key: 'id' | 'programmeId' | 'funder' | 'face' | 'providers', label: MessageKey, hint?: MessageKey) => (
    <div key={key}>
      <label htmlFor={`voucher-${key}`}>{t(label)}</label>
      <input
        id={`voucher-${key}`}
        value={values[key]}
        onChange={(e) => set(key, e.target.value)}
        {...(key === 'face' ? { inputMode: 'decimal' as const } : {})}
        {...(hint ? { 'aria-describedby': `voucher-${key}-hint` } : {})}
      />
      {hint && (
        <span id={`voucher-${key}-hint`} className="hint">
          {t(hint)}
        </span>
      )}
    </div>
  );
  const day = (key: 'validFrom' | 'validTo', label: MessageKey) => (
    <div key={key}>
      <label htmlFor={`voucher-${key}`}>{t(label)}</label>
      <input id={`voucher-${key}`} type="date" value={values[key]} onChange={(e) => set(key, e.target.value)} />
    </div>
  );

  return (
    <form
      onSubmit={(e) => void submit(e)}
      className="card form-grid"
      aria-labelledby="issue-voucher-heading"
      noValidate
    >
      <h2 id="issue-voucher-heading" className="wide">
        {t('office.issueVoucher')}
      </h2>
      {text('id', 'voucher.id')}
      <div>
        <label htmlFor="voucher-kind">{t('voucher.kind')}</label>
        <select id="voucher-kind" value={values.kind} onChange={(e) => set('kind', e.target.value)}>
          {VOUCHER_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`voucherKind.${k}`)}
            </option>
          ))}
        </select>
      </div>
      {text('programmeId', 'voucher.programme')}
      {text('funder', 'office.funder')}
      {text('face', 'office.faceYuan')}
      {day('validFrom', 'office.validFrom')}
      {day('validTo', 'office.validTo')}
      {text('providers', 'voucher.providers', 'office.providersHint')}
      <div className="wide">
        <ErrorNotice error={error} />
        {issued && (
          <Success>
            {/* A repeat the ledger ignored says so, rather than claim a second voucher. */}
            {t(issued.created ? 'office.issued' : 'office.issueRepeated', {
              id: issued.id,
              kind: t(`voucherKind.${issued.kind}` as MessageKey),
              face: money(issued.faceFen),
              tenant: issued.tenantId,
            })}
          </Success>
        )}
        <button type="submit">{t('office.issueSubmit')}</button>
      </div>
    </form>
  );
}
