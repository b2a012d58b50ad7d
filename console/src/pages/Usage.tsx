/** The tenant's metered usage: totals by accelerator model and the latest records, in P·h. */
import type { UsageReport } from '../api.ts';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

export function Usage() {
  const { api } = useSession();
  const { t, ph, number, dateTime } = useI18n();
  const { data, error } = useLoad(() => api<UsageReport>('/usage?limit=200'), [api]);
  if (!data) return error ? <ErrorNotice error={error} /> : <Loading />;
  const total = data.totals.reduce((s, x) => s + Number(x.ph), 0);
  const hours = (seconds: number) => number(seconds / 3600, 2);
  return (
    <section>
      <h1>{t('usage.heading')}</h1>
      <dl className="figures">
        <div>
          <dt>{t('usage.total')}</dt>
          <dd>{ph(total)}</dd>
        </div>
      </dl>
      {data.items.length === 0 ? (
        <p>{t('usage.empty')}</p>
      ) : (
        <>
          <div className="table-scroll">
            <table>
              <caption>{t('usage.byModel')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('usage.model')}</th>
                  <th scope="col">{t('usage.jobs')}</th>
                  <th scope="col">{t('usage.acceleratorHours')}</th>
                  <th scope="col">{t('usage.ph')}</th>
                </tr>
              </thead>
              <tbody>
                {data.totals.map((row) => (
                  <tr key={`${row.tenantId}:${row.acceleratorModel}`}>
                    <th scope="row">{row.acceleratorModel}</th>
                    <td className="num">{number(row.jobs)}</td>
                    <td className="num">{hours(row.acceleratorSeconds)}</td>
                    <td className="num">{ph(row.ph)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-scroll">
            <table>
              <caption>{t('usage.records')}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('usage.job')}</th>
                  <th scope="col">{t('usage.model')}</th>
                  <th scope="col">{t('usage.count')}</th>
                  <th scope="col">{t('usage.acceleratorHours')}</th>
                  <th scope="col">{t('usage.ph')}</th>
                  <th scope="col">{t('usage.ended')}</th>
                  <th scope="col">{t('usage.outcome')}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <Link to={`/jobs/${encodeURIComponent(r.jobId)}`}>{r.jobId}</Link>
                    </th>
                    <td>{r.acceleratorModel}</td>
                    <td className="num">{number(r.acceleratorCount)}</td>
                    <td className="num">{hours(r.acceleratorSeconds)}</td>
                    <td className="num">{ph(r.ph)}</td>
                    <td>{dateTime(r.endedAt)}</td>
                    <td>{r.outcome ? t(`outcome.${r.outcome}`) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
