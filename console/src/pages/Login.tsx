/** Log in with an API token; whoami then tells the console who this is. */
import { useState, type FormEvent } from 'react';
import { LanguageSwitch } from '../components/Layout.tsx';
import { useI18n } from '../i18n/i18n.tsx';
import { useSessionState } from '../session.tsx';

export function Login() {
  const { t } = useI18n();
  const { login } = useSessionState();
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [failed, setFailed] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailed(!(await login(token, remember)));
    setBusy(false);
  };

  return (
    <main id="main" className="login">
      <div className="login-top">
        <LanguageSwitch />
      </div>
      <h1>{t('app.title')}</h1>
      <form onSubmit={(e) => void submit(e)} className="card">
        <h2>{t('login.heading')}</h2>
        <p>{t('login.intro')}</p>
        <label htmlFor="token">{t('login.token')}</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={failed}
          aria-describedby={failed ? 'login-error' : undefined}
        />
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          {t('login.remember')}
        </label>
        {failed && (
          <p id="login-error" className="notice error" role="alert">
            {t('login.failed')}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
        <p className="hint">{t('login.demoHint')}</p>
      </form>
    </main>
  );
}
