/** A provider's view of the jobs placed on its clusters now (the province route keeps other providers' out). */
import type { ProviderJob } from '../api.ts';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';
import { POLL_MS } from './Jobs.tsx';

export function Running() {
  const { api, user } = useSession();
  const { t, number, dateTime } = useI18n();
  const { data, error } = useLoad(
    () => api<{ items: ProviderJob[] }>(`/providers/${encodeURIComponent(user.providerId ?? '')}/jobs`),
    [api, user.providerId],
    POLL_MS,
  );
  return (
    <section>
      <h1>{t('running.heading')}</h1>
      <ErrorNotice error={error} />
      {!data ? (
        <Loading />
      ) : data.items.length === 0 ? (
        <p>{t('running.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('jobs.name')}</th>
                <th scope="col">{t('jobs.tenant')}</th>
                <th scope="col">{t('jobs.state')}</th>
                <th scope="col">{t('jobs.class')}</th>
                <th scope="col">{t('jobs.placement')}</th>
                <th scope="col">{t('jobs.accelerators')}</th>
                <th scope="col">{t('jobs.started')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((j) => (
                <tr key={j.id}>
                  <th scope="row">{j.name}</th>
                  <td>{j.tenantId}</td>
                  <td>
                    <StateBadge state={j.state} />
                  </td>
                  <td>{t(`class.${j.priorityClass}` as MessageKey)}</td>
                  <td>{j.poolId}</td>
                  <td className="num">
                    {number(j.accelerators)} × {j.acceleratorModel}
                  </td>
                  <td>{dateTime(j.startedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
