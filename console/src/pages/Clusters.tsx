/** A provider's clusters and pools: capacity, utilisation now, and prices (a new version with validity dates). */
import { useState, type FormEvent } from 'react';
import type { Cluster, Pool, Price } from '../api.ts';
import { ErrorNotice, Loading, Success } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';

/** A datetime-local value (the user's zone) as an ISO instant; '' stays ''. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');

function PriceEditor({ pool, onSaved }: { pool: Pool; onSaved(): void }) {
  const { api } = useSession();
  const { t, yuan, dateTime } = useI18n();
  const path = `/pools/${encodeURIComponent(pool.id)}/prices`;
  const history = useLoad(() => api<{ items: Price[] }>(path), [api, path]);
  const [yuanText, setYuanText] = useState(
    pool.fenPerAcceleratorHour === null ? '' : String(pool.fenPerAcceleratorHour / 100),
  );
  const [validFrom, setValidFrom] = useState('');
  const [validTo, setValidTo] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState(false);
  const id = (name: string) => `${pool.id.replace(/[^a-z0-9-]/gi, '-')}-${name}`;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    try {
      await api(path, {
        method: 'POST',
        body: {
          // Money is whole fen on the wire; the form takes yuan as people quote it.
          fenPerAcceleratorHour: Math.round(Number(yuanText) * 100),
          validFrom: toIso(validFrom) || new Date().toISOString(),
          ...(validTo ? { validTo: toIso(validTo) } : {}),
        },
      });
      setError(null);
      setSaved(true);
      history.reload();
      onSaved();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  return (
    <div className="price-editor">
      <form onSubmit={(e) => void save(e)} className="inline-form" aria-label={t('prices.heading', { pool: pool.id })}>
        <div>
          <label htmlFor={id('amount')}>{t('prices.amount')}</label>
          <input
            id={id('amount')}
            inputMode="decimal"
            required
            value={yuanText}
            onChange={(e) => setYuanText(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor={id('from')}>{t('prices.validFrom')}</label>
          <input
            id={id('from')}
            type="datetime-local"
            value={validFrom}
            onChange={(e) => setValidFrom(e.target.value)}
          />
        </div>
        <div>
          <label htmlFor={id('to')}>{t('prices.validTo')}</label>
          <input id={id('to')} type="datetime-local" value={validTo} onChange={(e) => setValidTo(e.target.value)} />
        </div>
        <button type="submit">{t('common.save')}</button>
      </form>
      <ErrorNotice error={error} />
      {saved && <Success>{t('prices.added')}</Success>}
      {history.data && (
        <table>
          <caption>{t('prices.history')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('clusters.price')}</th>
              <th scope="col">{t('prices.validFrom')}</th>
              <th scope="col">{t('prices.validTo')}</th>
              <th scope="col">{t('prices.createdBy')}</th>
            </tr>
          </thead>
          <tbody>
            {history.data.items.map((p) => (
              <tr key={`${p.validFrom}:${p.createdBy}:${p.fenPerAcceleratorHour}`}>
                <td className="num">{yuan(p.fenPerAcceleratorHour)}</td>
                <td>{dateTime(p.validFrom)}</td>
                <td>{p.validTo ? dateTime(p.validTo) : t('prices.open')}</td>
                <td>{p.createdBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function Clusters() {
  const { api, user } = useSession();
  const { t, p, number, yuan, percent } = useI18n();
  const { data, error, reload } = useLoad(() => api<{ items: Cluster[] }>('/clusters'), [api], 10_000);
  const [editing, setEditing] = useState<string | null>(null);
  if (!data) return error ? <ErrorNotice error={error} /> : <Loading />;
  const own = data.items.filter((c) => user.role === 'operator' || c.provider.id === user.providerId);
  return (
    <section>
      <h1>{t('clusters.heading')}</h1>
      <ErrorNotice error={error} />
      {own.map((cluster) => (
        <article key={cluster.id} className="card">
          <h2>
            {cluster.name} · {cluster.provider.name}{' '}
            <span className={`badge ${cluster.healthy ? 'state-succeeded' : 'state-failed'}`}>
              {cluster.healthy ? t('overview.ok') : t('overview.down')}
            </span>
          </h2>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('clusters.pool')}</th>
                  <th scope="col">{t('clusters.model')}</th>
                  <th scope="col">{t('clusters.capacity')}</th>
                  <th scope="col">{t('clusters.utilisation')}</th>
                  <th scope="col">{t('clusters.free')}</th>
                  <th scope="col">{t('clusters.price')}</th>
                  <th scope="col">{t('common.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {cluster.pools.map((pool) => {
                  const used = pool.accelerators ? (pool.accelerators - pool.freeAccelerators) / pool.accelerators : 0;
                  return (
                    <tr key={pool.id}>
                      <th scope="row">{pool.name}</th>
                      <td>{pool.acceleratorModel}</td>
                      <td className="num">{p(pool.capacityP)}</td>
                      <td className="num">
                        <meter min={0} max={1} value={used} aria-label={`${pool.name} ${t('clusters.utilisation')}`} />{' '}
                        {percent(used)}
                      </td>
                      <td className="num">
                        {number(pool.freeAccelerators)} / {number(pool.accelerators)}
                      </td>
                      <td className="num">
                        {pool.fenPerAcceleratorHour === null
                          ? t('clusters.noPrice')
                          : t('unit.perAcceleratorHour', { value: yuan(pool.fenPerAcceleratorHour) })}
                      </td>
                      <td>
                        <button
                          type="button"
                          className="link-button"
                          aria-expanded={editing === pool.id}
                          onClick={() => setEditing(editing === pool.id ? null : pool.id)}
                        >
                          {t('clusters.editPrice')}
                          <span className="visually-hidden"> {pool.name}</span>
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {cluster.pools
            .filter((pool) => pool.id === editing)
            .map((pool) => (
              <PriceEditor key={pool.id} pool={pool} onSaved={reload} />
            ))}
        </article>
      ))}
    </section>
  );
}
