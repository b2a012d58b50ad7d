/** Errors and confirmations, announced to screen readers as they appear. */
import type { ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { useI18n } from '../i18n/i18n.tsx';

export function ErrorNotice({ error }: { error: Error | null }) {
  const { t } = useI18n();
  if (!error) return null;
  const fields = error instanceof ApiError ? (error.problem.errors ?? []) : [];
  return (
    <div className="notice error" role="alert">
      <p>{t('common.error', { detail: error.message })}</p>
      {fields.length > 1 && (
        <ul>
          {fields.map((f) => (
            <li key={`${f.field}:${f.message}`}>
              <code>{f.field || '(body)'}</code> {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <p className="notice success" role="status">
      {children}
    </p>
  );
}

export function Loading() {
  const { t } = useI18n();
  return <p role="status">{t('common.loading')}</p>;
}
