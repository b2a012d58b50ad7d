/**
 * The programme office's money: each programme's pool per funder (budget paid in, spent, remaining) and the report
 * for a month, quarter or year. Every figure comes from the ledger as exact fen; the page formats, it never sums.
 */
import type { ProgrammePool } from '../api.ts';
import { ProgrammeReport } from '../components/money/Report.tsx';
import { PoolChart } from '../components/money/PoolChart.tsx';
import { ErrorNotice, Loading } from '../components/Notice.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useLoad } from '../load.ts';
import { useSession } from '../session.tsx';

export function Programmes() {
  const { t } = useI18n();
  return (
    <section>
      <h1>{t('programmes.heading')}</h1>
      <Pools />
      <ProgrammeReport />
    </section>
  );
}

function Pools() {
  const { api } = useSession();
  const { t, largeMoney } = useI18n();
  const { data, error } = useLoad(() => api<{ items: ProgrammePool[] }>('/programmes/pools'), [api]);
  return (
    <section aria-labelledby="pools-heading">
      <h2 id="pools-heading">{t('programmes.pools')}</h2>
      {!data ? (
        error ? (
          <ErrorNotice error={error} />
        ) : (
          <Loading />
        )
      ) : data.items.length === 0 ? (
        <p>{t('programmes.noPools')}</p>
      ) : (
        <>
          <PoolChart pools={data.items} />
          <div className="table-scroll">
            <table aria-labelledby="pools-heading">
              <thead>
                <tr>
                  <th scope="col">{t('programmes.programme')}</th>
                  <th scope="col">{t('programmes.funder')}</th>
                  <th scope="col">{t('programmes.budget')}</th>
                  <th scope="col">{t('programmes.spent')}</th>
                  <th scope="col">{t('programmes.remaining')}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((pool) => (
                  <tr key={`${pool.programmeId}/${pool.funder}`} data-pool={`${pool.programmeId}/${pool.funder}`}>
                    <th scope="row">{pool.programmeId}</th>
                    <td>{pool.funder}</td>
                    <td className="num">{largeMoney(pool.budgetFen)}</td>
                    <td className="num">{largeMoney(pool.spentFen)}</td>
                    <td className="num">{largeMoney(pool.remainingFen)}</td>
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
