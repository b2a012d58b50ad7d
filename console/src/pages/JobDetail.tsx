/** One job: its state and reason, history, output, and a cancel button for those who may cancel it. */
import { useState } from 'react';
import { stringify } from 'yaml';
import { ApiError, type Job } from '../api.ts';
import { ErrorNotice, Loading, Success } from '../components/Notice.tsx';
import { StateBadge } from '../components/StateBadge.tsx';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';
import { NotFound } from './NotFound.tsx';
import { POLL_MS } from './Jobs.tsx';

const TERMINAL = ['succeeded', 'failed', 'cancelled', 'dispatch-failed', 'lost'];

export function JobDetail({ id }: { id: string }) {
  const { api, user } = useSession();
  const { t, dateTime } = useI18n();
  const path = `/jobs/${encodeURIComponent(id)}`;
  const job = useLoad(() => api<Job>(path), [api, path], POLL_MS);
  const logs = useLoad(() => api<string>(`${path}/logs?tailBytes=65536`, { text: true }), [api, path], POLL_MS);
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const [cancelled, setCancelled] = useState(false);

  if (job.error instanceof ApiError && job.error.status === 404) return <NotFound />;
  if (!job.data) return job.error ? <ErrorNotice error={job.error} /> : <Loading />;
  const data = job.data;
  // Mirrors the API's rule: cancel-any for the operator and tenant-admin, cancel-own for a member.
  const mayCancel =
    !TERMINAL.includes(data.state) &&
    !data.cancelRequested &&
    (user.role !== 'tenant-member' || data.submittedBy === user.id) &&
    user.role !== 'provider-admin';

  const cancel = async () => {
    if (!window.confirm(t('job.cancelConfirm', { name: data.name }))) return;
    try {
      await api(`${path}/cancel`, { method: 'POST' });
      setCancelled(true);
      setCancelError(null);
      job.reload();
    } catch (e) {
      setCancelError(e instanceof Error ? e : new Error(String(e)));
    }
  };

  const facts: Array<[MessageKey, string]> = [
    ['jobs.project', data.project],
    ['jobs.class', t(`class.${data.priorityClass}` as MessageKey)],
    ['jobs.submittedBy', data.submittedBy],
    ['jobs.submitted', dateTime(data.submittedAt)],
    ['jobs.started', dateTime(data.startedAt)],
    ['jobs.ended', dateTime(data.endedAt)],
    ['jobs.placement', data.clusterName ? `${data.clusterName}/${data.pool ?? ''} ${data.nodes.join(', ')}` : '—'],
    ['job.exitCode', data.exitCode === null ? '—' : String(data.exitCode)],
  ];

  return (
    <section>
      <h1>{t('job.heading', { name: data.name })}</h1>
      <p className="job-status">
        <StateBadge state={data.state} /> <span className="reason">{data.reason ?? ''}</span>
      </p>
      {mayCancel && (
        <button type="button" className="danger" onClick={() => void cancel()}>
          {t('job.cancel')}
        </button>
      )}
      {cancelled && <Success>{t('job.cancelRequested')}</Success>}
      <ErrorNotice error={cancelError} />
      <dl className="facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{t(label)}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h2>{t('job.logs')}</h2>
      <pre className="logs" tabIndex={0} aria-label={t('job.logs')}>
        {logs.data || t('job.noLogs')}
      </pre>
      <h2>{t('job.events')}</h2>
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('job.eventAt')}</th>
              <th scope="col">{t('job.eventFrom')}</th>
              <th scope="col">{t('job.eventTo')}</th>
              <th scope="col">{t('jobs.reason')}</th>
              <th scope="col">{t('job.eventActor')}</th>
            </tr>
          </thead>
          <tbody>
            {(data.events ?? []).map((e, i) => (
              <tr key={`${e.at}:${i}`}>
                <td>{dateTime(e.at)}</td>
                <td>{e.from ? <StateBadge state={e.from} /> : '—'}</td>
                <td>
                  <StateBadge state={e.to} />
                </td>
                <td>{e.reason}</td>
                <td>{e.actor}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>{t('job.spec')}</h2>
      <pre className="spec" tabIndex={0} aria-label={t('job.spec')}>
        {stringify(data.spec)}
      </pre>
    </section>
  );
}
