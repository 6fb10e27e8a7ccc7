/**
 * @module api/session
 * Who is signed in: /api/me loaded once at start and after sign-in; 401 means signed out. It also
 * settles the organisation the dashboard acts on: the one chosen last in this browser while the
 * user still belongs to it, else the personal one.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, errorText, requestOrganization, setCsrfToken, setRequestOrganization } from './client';
import { chooseOrganization, storedOrganization } from './organization';
import type { Me, Role } from './types';

export type SessionState = { status: 'loading' } | { status: 'signed-out' } | { status: 'error'; message: string } | { status: 'signed-in'; me: Me };

interface SessionContextValue {
  state: SessionState;
  /** Reloads /api/me (after sign-in, profile or two-factor changes). */
  refresh(): Promise<SessionState>;
  /** Acts on another organisation from now on (and in new tabs); every page loads again. */
  switchOrganization(id: string | null): Promise<SessionState>;
  /** Signs out and loads `to` (default /login) afresh. */
  signOut(to?: string): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/**
 * /api/me acting on `requested`. An organisation the user no longer belongs to (the API answers
 * 404 for it) falls back to the personal one; the one settled on is named on every later request.
 */
async function fetchMe(requested: string | null): Promise<Me> {
  setRequestOrganization(requested);
  let me: Me;
  try {
    me = await api<Me>('/api/me');
  } catch (error) {
    if (!requested || !(error instanceof ApiError) || error.status !== 404) throw error;
    setRequestOrganization(null);
    me = await api<Me>('/api/me');
  }
  chooseOrganization(me.organization?.id ?? null);
  return me;
}

async function loadMe(requested: string | null): Promise<SessionState> {
  try {
    const me = await fetchMe(requested);
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

  // The first load takes the browser's stored choice; later ones keep this tab's organisation.
  const refresh = useCallback(async () => {
    const next = await loadMe(requestOrganization() ?? storedOrganization());
    setState(next);
    return next;
  }, []);

  const switchOrganization = useCallback(async (id: string | null) => {
    const next = await loadMe(id);
    setState(next);
    return next;
  }, []);

  // A full page load to /login after signing out drops every bit of the old session's state.
  const signOut = useCallback(async (to = '/login') => {
    try {
      await api('/api/auth/sign-out', { method: 'POST', body: {} });
    } finally {
      setCsrfToken(null);
      window.location.assign(to);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return <SessionContext.Provider value={{ state, refresh, switchOrganization, signOut }}>{children}</SessionContext.Provider>;
}

/** The session context; only inside SessionProvider. */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user's role in the organisation the dashboard acts on (null: they have none). */
export function useRole(): Role | null {
  return useMe().organization?.role ?? null;
}

/** The signed-in user; only on pages behind RequireSession. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe without a session');
  return state.me;
}
