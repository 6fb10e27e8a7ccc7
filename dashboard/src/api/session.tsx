/**
 * @module api/session
 * Who is signed in: /api/me loaded once at start and after sign-in; 401 means signed out.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, errorText, setCsrfToken } from './client';
import type { Me } from './types';

export type SessionState = { status: 'loading' } | { status: 'signed-out' } | { status: 'error'; message: string } | { status: 'signed-in'; me: Me };

interface SessionContextValue {
  state: SessionState;
  /** Reloads /api/me (after sign-in, profile or two-factor changes). */
  refresh(): Promise<SessionState>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

async function loadMe(): Promise<SessionState> {
  try {
    const me = await api<Me>('/api/me');
    setCsrfToken(me.csrfToken);
    return { status: 'signed-in', me };
  } catch (error) {
    setCsrfToken(null);
    if (error instanceof ApiError && error.status === 401) return { status: 'signed-out' };
    return { status: 'error', message: errorText(error) };
  }
}

/** Provides the session to every page. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    const next = await loadMe();
    setState(next);
    return next;
  }, []);

  // A full page load to /login after signing out drops every bit of the old session's state.
  const signOut = useCallback(async () => {
    try {
      await api('/api/auth/sign-out', { method: 'POST', body: {} });
    } finally {
      setCsrfToken(null);
      window.location.assign('/login');
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return <SessionContext.Provider value={{ state, refresh, signOut }}>{children}</SessionContext.Provider>;
}

/** The session context; only inside SessionProvider. */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user; only on pages behind RequireSession. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe without a session');
  return state.me;
}
