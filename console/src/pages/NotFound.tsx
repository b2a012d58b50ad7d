import { useI18n } from '../i18n/i18n.tsx';
import { Link } from '../router.tsx';

/** Unknown paths, and records the caller may not see (the API answers 404 for another tenant's job, too). */
export function NotFound() {
  const { t } = useI18n();
  return (
    <section>
      <h1>{t('notFound.heading')}</h1>
      <p>{t('notFound.body')}</p>
      <Link to="/">{t('notFound.back')}</Link>
    </section>
  );
}
