/** Which page a path shows, by role: a role never gets a page for what the API would refuse it. */
import type { ReactNode } from 'react';
import type { Role } from './api.ts';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/Notice.tsx';
import { Chips } from './pages/Chips.tsx';
import { Clusters } from './pages/Clusters.tsx';
import { JobDetail } from './pages/JobDetail.tsx';
import { Jobs } from './pages/Jobs.tsx';
import { Login } from './pages/Login.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { Overview } from './pages/Overview.tsx';
import { Payouts } from './pages/Payouts.tsx';
import { Programmes } from './pages/Programmes.tsx';
import { Providers } from './pages/Providers.tsx';
import { Running } from './pages/Running.tsx';
import { Spend } from './pages/Spend.tsx';
import { Submit } from './pages/Submit.tsx';
import { Tenants } from './pages/Tenants.tsx';
import { Usage } from './pages/Usage.tsx';
import { useRouter } from './router.tsx';
import { useSessionState } from './session.tsx';

const PAGES: Record<Role, Record<string, () => ReactNode>> = {
  operator: {
    '/': () => <Overview />,
    '/tenants': () => <Tenants />,
    '/providers': () => <Providers />,
    '/jobs': () => <Jobs />,
    '/programmes': () => <Programmes />,
    '/chips': () => <Chips />,
  },
  'provider-admin': {
    '/': () => <Clusters />,
    '/running': () => <Running />,
    '/payouts': () => <Payouts />,
  },
  'tenant-admin': {
    '/': () => <Jobs />,
    '/jobs': () => <Jobs />,
    '/submit': () => <Submit />,
    '/usage': () => <Usage />,
    '/spend': () => <Spend />,
  },
  'tenant-member': {
    '/': () => <Jobs />,
    '/jobs': () => <Jobs />,
    '/submit': () => <Submit />,
  },
};

/** Roles that may read jobs have a detail page per job. */
const READS_JOBS: readonly Role[] = ['operator', 'tenant-admin', 'tenant-member'];

function page(role: Role, path: string): ReactNode {
  const exact = PAGES[role][path];
  if (exact) return exact();
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job?.[1] && READS_JOBS.includes(role)) return <JobDetail key={job[1]} id={decodeURIComponent(job[1])} />;
  // The programme office reads any tenant's or provider's money, to answer their questions about it.
  if (role === 'operator') {
    const spend = /^\/tenants\/([^/]+)\/spend$/.exec(path);
    if (spend?.[1]) return <Spend key={spend[1]} tenantId={decodeURIComponent(spend[1])} />;
    const payouts = /^\/providers\/([^/]+)\/payouts$/.exec(path);
    if (payouts?.[1]) return <Payouts key={payouts[1]} providerId={decodeURIComponent(payouts[1])} />;
  }
  return <NotFound />;
}

export function App() {
  const { session, checking } = useSessionState();
  const { path } = useRouter();
  if (checking) return <Loading />;
  if (!session) return <Login />;
  return <Layout>{page(session.user.role, path)}</Layout>;
}
