/** The job list with live status (polled every 2 s) and each job's reason: why it waits, or how it ended. */
import type { Job } from '../api.ts';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

export const POLL_MS = 2_000;

export function Jobs() {
  const { api, user } = useSession();
  const { t, dateTime } = useI18n();
  const { data, error } = useLoad(() => api<{ items: Job[] }>('/jobs?limit=200'), [api], POLL_MS);
  const showTenant = user.role === 'operator';
  return (
    <section>
      <h1>{t('jobs.heading')}</h1>
      <p className="hint">{t('jobs.live')}</p>
      <ErrorNotice error={error} />
      {!data ? (
        <Loading />
      ) : data.items.length === 0 ? (
        <p>{t('jobs.empty')}</p>
      ) : (
        <div className="table-scroll">
          <table className="jobs">
            <thead>
              <tr>
                <th scope="col">{t('jobs.name')}</th>
                {showTenant && <th scope="col">{t('jobs.tenant')}</th>}
                <th scope="col">{t('jobs.project')}</th>
                <th scope="col">{t('jobs.state')}</th>
                <th scope="col">{t('jobs.reason')}</th>
                <th scope="col">{t('jobs.class')}</th>
                <th scope="col">{t('jobs.placement')}</th>
                <th scope="col">{t('jobs.submitted')}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((job) => (
                <tr key={job.id} data-job-id={job.id}>
                  <th scope="row">
                    <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.name}</Link>
                  </th>
                  {showTenant && <td>{job.tenantId}</td>}
                  <td>{job.project}</td>
                  <td>
                    <StateBadge state={job.state} />
                  </td>
                  <td className="reason">{job.reason ?? ''}</td>
                  <td>{t(`class.${job.priorityClass}` as MessageKey)}</td>
                  <td>{job.clusterName ? `${job.clusterName}/${job.pool ?? ''}` : '—'}</td>
                  <td>{dateTime(job.submittedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
