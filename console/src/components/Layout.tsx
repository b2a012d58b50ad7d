/** The frame of every page: skip link, header (who, language, log out), the role's navigation, and the main area. */
import type { ReactNode } from 'react';
import type { Role } from '../api.ts';
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';
import { Link, useRouter } from '../router.tsx';
import { useSession } from '../session.tsx';

/** What each role sees in the navigation; the API refuses the rest anyway. */
export const NAVIGATION: Record<Role, Array<{ to: string; label: MessageKey; also?: string }>> = {
  operator: [
    { to: '/', label: 'nav.overview' },
    { to: '/tenants', label: 'nav.tenants' },
    { to: '/providers', label: 'nav.providers' },
    { to: '/jobs', label: 'nav.jobs' },
    { to: '/programmes', label: 'nav.programmes' },
    { to: '/chips', label: 'nav.chips' },
  ],
  'provider-admin': [
    { to: '/', label: 'nav.clusters' },
    { to: '/running', label: 'nav.running' },
    { to: '/payouts', label: 'nav.payouts' },
  ],
  'tenant-admin': [
    { to: '/', label: 'nav.jobs', also: '/jobs' },
    { to: '/submit', label: 'nav.submit' },
    { to: '/usage', label: 'nav.usage' },
    { to: '/spend', label: 'nav.spend' },
  ],
  'tenant-member': [
    { to: '/', label: 'nav.jobs', also: '/jobs' },
    { to: '/submit', label: 'nav.submit' },
  ],
};

export function LanguageSwitch() {
  const { t, locale, setLocale } = useI18n();
  const other = locale === 'zh-CN' ? 'en' : 'zh-CN';
  return (
    <button
      type="button"
      className="link-button"
      lang={other}

      onClick={() => setLocale(other)}
    >
      {t('lang.switch')}
    </button>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { user, logout } = useSession();
  const { path } = useRouter();
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="top">
        <span className="brand">{t('app.title')}</span>
        <span className="who">{t('session.who', { name: user.name, role: t(`role.${user.role}`) })}</span>
        <LanguageSwitch />
        <button type="button" className="link-button" onClick={logout}>
          {t('nav.logout')}
        </button>
      </header>
      <nav aria-label={t('nav.label')} className="nav">
        <ul>
          {NAVIGATION[user.role].map((item) => {
            // A job's page belongs to the job list: mark that tab as the current one there too.
            const within = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
            const current =
              (item.to === '/' ? path === '/' : within(item.to)) || (item.also ? within(item.also) : false);
            return (
              <li key={item.to}>
                <Link to={item.to} {...(current ? { 'aria-current': 'page' as const } : {})}>
                  {t(item.label)}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
