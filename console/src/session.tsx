/**
 * Who is logged in. The token is the API's bearer token; it stays in sessionStorage (gone when the tab closes) unless
 * the user asks to be remembered (localStorage). whoami tells the role, which decides the pages shown.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { fetcherFor, type Fetcher, type Whoami } from './api.ts';

const TOKEN_KEY = 'suanli.token';

export interface Session {
  user: Whoami;
  api: Fetcher;
  logout(): void;
}

interface SessionState {
  session: Session | null;
  /** True until a stored token has been checked. */
  checking: boolean;
  login(token: string, remember: boolean): Promise<boolean>;
}

const SessionContext = createContext<SessionState | null>(null);

const storedToken = () => sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => storedToken() !== null);

  const state = useMemo<SessionState>(() => {
    const logout = () => {
      sessionStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(TOKEN_KEY);
      setSession(null);
    };
    const login = async (token: string, remember: boolean) => {
      const api = fetcherFor(token.trim());
      try {
        const user = await api<Whoami>('/whoami');
        (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token.trim());
        setSession({ user, api, logout });
        return true;
      } catch {
        return false;
      }
    };
    return { session, checking, login };
  }, [session, checking]);

  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    void state.login(token, localStorage.getItem(TOKEN_KEY) !== null).then((ok) => {
      if (!ok) {
        sessionStorage.removeItem(TOKEN_KEY);
        localStorage.removeItem(TOKEN_KEY);
      }
      setChecking(false);
    });
    // Only once, on load: later logins go through the login page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}

export function useSessionState(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSessionState outside SessionProvider');
  return value;
}

/** The logged-in session; pages are only rendered inside one. */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error('useSession without a session');
  return session;
}
