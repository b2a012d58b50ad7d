/** A job state as a coloured label: the colour repeats the text (never the only cue). */
import type { MessageKey } from '../i18n/messages.ts';
import { useI18n } from '../i18n/i18n.tsx';

export function StateBadge({ state }: { state: string }) {
  const { t } = useI18n();
  return (
    <span className={`badge state-${state}`} data-state={state}>
      {t(`state.${state}` as MessageKey)}
    </span>
  );
}
