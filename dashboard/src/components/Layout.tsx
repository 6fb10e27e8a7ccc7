/**
 * @module components/Layout
 * The signed-in shell: a sidebar on laptops that becomes a top bar with a menu on phones, with the
 * organisation switcher at its top. Each page is mounted afresh for the organisation it shows.
 */
import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { atLeast } from '../api/roles';
import { useMe, useRole, useSession } from '../api/session';
import type { Role } from '../api/types';
import { CreateOrganizationDialog, OrgSwitcher } from './OrgSwitcher';

/** `least`: the role a page needs to show anything (notification channels, usage archives, forecasts and statements are read by admins only). */
const USER_LINKS: Array<{ to: string; label: string; end?: boolean; least?: Role }> = [
  { to: '/', label: 'Overview', end: true },
  { to: '/keys', label: 'API keys' },
  { to: '/projects', label: 'Projects' },
  { to: '/usage', label: 'Usage' },
  { to: '/usage-archives', label: 'Usage archives', least: 'admin' },
  { to: '/forecast', label: 'Forecast', least: 'admin' },
  { to: '/budgets', label: 'Budgets' },
  { to: '/anomalies', label: 'Anomalies' },
  { to: '/notifications', label: 'Notifications', least: 'admin' },
  { to: '/billing', label: 'Billing' },
  { to: '/statements', label: 'Statements', least: 'admin' },
  { to: '/members', label: 'Members' },
  { to: '/settings', label: 'Settings' },
];

const ADMIN_LINKS = [
  { to: '/admin/analytics', label: 'Analytics' },
  { to: '/admin/services', label: 'Services' },
  { to: '/admin/accounts', label: 'Accounts' },
  { to: '/admin/topups', label: 'Top-ups' },
  { to: '/admin/promotions', label: 'Promotions' },
  { to: '/admin/reviews', label: 'Reviews' },
  { to: '/admin/audit', label: 'Audit log' },
];

/** Sidebar + content for every signed-in page. */
export function Layout() {
  const me = useMe();
  const role = useRole();
  const { signOut } = useSession();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [creatingOrg, setCreatingOrg] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: navigating (a new pathname) is what closes the menu.
  useEffect(() => setMenuOpen(false), [location.pathname]);

  return (
    <div className="shell">
      <a href="#content" className="skip-link">
        Skip to content
      </a>
      <header className="sidebar">
        <div className="brand-row">
          <NavLink to="/" className="brand" end>
            <span className="brand-mark" aria-hidden="true">
              ◆
            </span>{' '}
            GPU Gateway
          </NavLink>
          <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((o) => !o)}>
            {menuOpen ? 'Close' : 'Menu'}
          </button>
        </div>
        <nav id="main-nav" className={menuOpen ? 'nav open' : 'nav'} aria-label="Main">
          <OrgSwitcher onCreate={() => setCreatingOrg(true)} />
          <ul>
            {USER_LINKS.filter((l) => !l.least || atLeast(role, l.least)).map((l) => (
              <li key={l.to}>
                <NavLink to={l.to} end={l.end}>
                  {l.label}
                </NavLink>
              </li>
            ))}
            {/* A page of its own (docs.html), not a route of this app: a plain link loads it. */}
            <li>
              <a href="/docs">API reference</a>
            </li>
          </ul>
          {me.user.role === 'admin' && (
            <>
              <p className="nav-heading">Admin</p>
              <ul>
                {ADMIN_LINKS.map((l) => (
                  <li key={l.to}>
                    <NavLink to={l.to}>{l.label}</NavLink>
                  </li>
                ))}
              </ul>
            </>
          )}
          <div className="nav-footer">
            <p className="who" title={me.user.email}>
              <span className="who-name">{me.user.name || me.user.email}</span>
              <span className="who-email">{me.user.email}</span>
            </p>
            <button type="button" className="secondary small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </nav>
      </header>
      <main className="content" id="content" tabIndex={-1}>
        {/* A new organisation mounts the page again, so nothing of the last one's data stays. */}
        <Outlet key={me.organization?.id ?? 'none'} />
      </main>
      <CreateOrganizationDialog open={creatingOrg} onClose={() => setCreatingOrg(false)} />
    </div>
  );
}
