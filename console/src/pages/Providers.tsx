/** The programme office's providers (computing centres): the list and onboarding (POST /providers). */
import { useState, type FormEvent } from 'react';
import type { Provider } from '../api.ts';
import { ErrorNotice, Loading, Success } from '../components/Notice.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

const FIELDS: Array<[string, MessageKey]> = [
  ['id', 'common.id'],
  ['name', 'common.name'],
  ['city', 'common.city'],
  ['ownerOrganisation', 'providers.owner'],
  ['regions', 'common.regions'],
  ['greenPowerBasisPoints', 'providers.greenBasisPoints'],
];

function OnboardProvider({ onDone }: { onDone(): void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [values, setValues] = useState<Record<string, string>>({ regions: 'anhui', greenPowerBasisPoints: '0' });
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { regions = '', greenPowerBasisPoints = '0', ...rest } = values;
    try {
      await api('/providers', {
        method: 'POST',
        body: {
          ...rest,
          regions: regions.split(/[,，\s]+/).filter(Boolean),
          greenPowerBasisPoints: Number(greenPowerBasisPoints),
        },
      });
      setError(null);
      setDone(true);
      onDone();
    } catch (e) {
      setDone(false);
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="card form-grid" aria-labelledby="onboard-provider">
      <h2 id="onboard-provider" className="wide">
        {t('providers.onboard')}
      </h2>
      {FIELDS.map(([key, label]) => (
        <div key={key}>
          <label htmlFor={`provider-${key}`}>{t(label)}</label>
          <input
            id={`provider-${key}`}
            required
            value={values[key] ?? ''}
            onChange={(e) => setValues((v) => ({ ...v, [key]: e.target.value }))}
          />
        </div>
      ))}
      <div className="wide">
        <ErrorNotice error={error} />
        {done && <Success>{t('common.created')}</Success>}
        <button type="submit">{t('providers.onboard')}</button>
      </div>
    </form>
  );
}

export function Providers() {
  const { api } = useSession();
  const { t, percent } = useI18n();
  const { data, error, reload } = useLoad(() => api<{ items: Provider[] }>('/providers'), [api]);
  return (
    <section>
      <h1>{t('providers.heading')}</h1>
      <ErrorNotice error={error} />
      {!data ? (
        <Loading />
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('common.id')}</th>
                <th scope="col">{t('common.name')}</th>
                <th scope="col">{t('common.city')}</th>
                <th scope="col">{t('providers.owner')}</th>
                <th scope="col">{t('common.regions')}</th>
                <th scope="col">{t('providers.green')}</th>
                <th scope="col">{t('providers.money')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((p) => (
                <tr key={p.id}>
                  <th scope="row">{p.id}</th>
                  <td>{p.name}</td>
                  <td>{p.city}</td>
                  <td>{p.ownerOrganisation}</td>
                  <td>{p.regions.join(', ')}</td>
                  <td className="num">{percent(p.greenPowerBasisPoints / 10_000)}</td>
                  <td>
                    <Link to={`/providers/${encodeURIComponent(p.id)}/payouts`}>
                      {t('providers.openPayouts')}
                      <span className="visually-hidden"> {p.id}</span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <OnboardProvider onDone={reload} />
    </section>
  );
}
