/**
 * CSV and printable HTML of a statement or report. The API wants the bearer token, which a plain link cannot send,
 * so the console fetches the document itself and hands the browser a blob: a file to save, or a page to print.
 */
import { useState } from 'react';
import { useI18n } from '../../i18n/i18n.tsx';
import { useSession } from '../../session.tsx';
import { ErrorNotice } from '../Notice.tsx';

export function Downloads({ path, filename }: { path: string; filename: string }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [error, setError] = useState<Error | null>(null);

  const fetchAs = async (format: 'csv' | 'html', type: string) => {
    setError(null);
    try {
      const text = await api<string>(`${path}?format=${format}`, { text: true });
      return URL.createObjectURL(new Blob([text], { type }));
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
      return null;
    }
  };

  const saveCsv = async () => {
    const url = await fetchAs('csv', 'text/csv;charset=utf-8');
    if (!url) return;
    const anchor = document.createElement('a');
    anchor.href = url;
    anchor.download = `${filename}.csv`;
    anchor.click();
    // The download has started from the URL; keep it a moment so slow browsers can still read it.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  const openPrintable = async () => {
    const url = await fetchAs('html', 'text/html;charset=utf-8');
    if (!url) return;
    window.open(url, '_blank', 'noopener');
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };

  return (
    <div className="toolbar downloads">
      <button type="button" onClick={() => void saveCsv()}>
        {t('money.csv')}
      </button>
      <button type="button" onClick={() => void openPrintable()}>
        {t('money.printable')}
      </button>
      <ErrorNotice error={error} />
    </div>
  );
}
