/** The programme office's tenants: onboard (POST /tenants), verify and re-categorise (PATCH /tenants/:id). */
import { useState, type FormEvent } from 'react';
import { TENANT_CATEGORIES } from '../../../src/core/domain.ts';
import type { Tenant } from '../api.ts';
import { ErrorNotice, Loading, Success } from '../components/Notice.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

const regionList = (text: string) =>
  text
    .split(/[,，\s]+/)
    .map((r) => r.trim())
    .filter(Boolean);

function OnboardTenant({ onDone }: { onDone(): void }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [tenant, setTenant] = useState({
    id: '',
    name: '',
    organisation: '',
    category: 'enterprise',
    regions: 'anhui',
  });
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState(false);
  const set = (key: keyof typeof tenant, value: string) => setTenant((x) => ({ ...x, [key]: value }));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await api('/tenants', {
        method: 'POST',
        body: { ...tenant, regions: regionList(tenant.regions), verified: false },
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
    <form onSubmit={(e) => void submit(e)} className="card form-grid" aria-labelledby="onboard-tenant">
      <h2 id="onboard-tenant" className="wide">
        {t('tenants.onboard')}
      </h2>
      {(
        [
          ['id', 'common.id'],
          ['name', 'common.name'],
          ['organisation', 'tenants.organisation'],
          ['regions', 'common.regions'],
        ] as Array<[keyof typeof tenant, MessageKey]>
      ).map(([key, label]) => (
        <div key={key}>
          <label htmlFor={`tenant-${key}`}>{t(label)}</label>
          <input id={`tenant-${key}`} required value={tenant[key]} onChange={(e) => set(key, e.target.value)} />
        </div>
      ))}
      <div>
        <label htmlFor="tenant-category">{t('tenants.category')}</label>
        <select id="tenant-category" value={tenant.category} onChange={(e) => set('category', e.target.value)}>
          {TENANT_CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {t(`category.${c}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="wide">
        <ErrorNotice error={error} />
        {done && <Success>{t('common.created')}</Success>}
        <button type="submit">{t('tenants.onboard')}</button>
      </div>
    </form>
  );
}

export function Tenants() {
  const { api } = useSession();
  const { t } = useI18n();
  const { data, error, reload } = useLoad(() => api<{ items: Tenant[] }>('/tenants'), [api]);
  const [message, setMessage] = useState<string | null>(null);
  const [updateError, setUpdateError] = useState<Error | null>(null);

  const update = async (tenant: Tenant, patch: Partial<Pick<Tenant, 'verified' | 'category'>>) => {
    try {
      await api(`/tenants/${encodeURIComponent(tenant.id)}`, { method: 'PATCH', body: patch });
      setUpdateError(null);
      setMessage(t('tenants.updated', { id: tenant.id }));
      reload();
    } catch (e) {
      setUpdateError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  return (
    <section>
      <h1>{t('tenants.heading')}</h1>
      <ErrorNotice error={error ?? updateError} />
      {message && <Success>{message}</Success>}
      {!data ? (
        <Loading />
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('common.id')}</th>
                <th scope="col">{t('common.name')}</th>
                <th scope="col">{t('tenants.organisation')}</th>
                <th scope="col">{t('tenants.category')}</th>
                <th scope="col">{t('common.regions')}</th>
                <th scope="col">{t('tenants.verified')}</th>
                <th scope="col">{t('tenants.money')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((tenant) => (
                <tr key={tenant.id}>
                  <th scope="row">{tenant.id}</th>
                  <td>{tenant.name}</td>
                  <td>{tenant.organisation}</td>
                  <td>
                    <select
                      aria-label={`${t('tenants.recategorise')} ${tenant.id}`}
                      value={tenant.category}
                      // The options are TENANT_CATEGORIES, so the value is one of them.
                      onChange={(e) => void update(tenant, { category: e.target.value as Tenant['category'] })}
                    >
                      {TENANT_CATEGORIES.map((c) => (
                        <option key={c} value={c}>
                          {t(`category.${c}`)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{tenant.regions.join(', ')}</td>
                  <td>
                    {tenant.verified ? (
                      t('common.yes')
                    ) : (
                      <button type="button" onClick={() => void update(tenant, { verified: true })}>
                        {t('tenants.verify')}
                        <span className="visually-hidden"> {tenant.id}</span>
                      </button>
                    )}
                  </td>
                  <td>
                    <Link to={`/tenants/${encodeURIComponent(tenant.id)}/spend`}>
                      {t('tenants.openSpend')}
                      <span className="visually-hidden"> {tenant.id}</span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <OnboardTenant onDone={reload} />
    </section>
  );
}
