/**
 * @module main
 * The dashboard SPA: routes, the session gate and the signed-in layout.
 */
import { lazy, StrictMode, Suspense, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { SessionProvider, useMe, useSession } from './api/session';
import { Layout } from './components/Layout';
import { ErrorNote, Loading } from './components/states';
import { AcceptInvitationPage } from './pages/auth/AcceptInvitation';
import { ForgotPasswordPage } from './pages/auth/ForgotPassword';
import { LoginPage } from './pages/auth/Login';
import { ResetPasswordPage } from './pages/auth/ResetPassword';
import { SignupPage } from './pages/auth/Signup';
import { VerifiedPage } from './pages/auth/Verified';
import { BillingPage } from './pages/billing/Billing';
import { AnomaliesPage } from './pages/Anomalies';
import { BudgetsPage } from './pages/Budgets';
import { DevMailPage } from './pages/DevMail';
import { KeysPage } from './pages/keys/Keys';
import { MembersPage } from './pages/members/Members';
import { NotFoundPage } from './pages/NotFound';
import { NotificationsPage } from './pages/Notifications';
import { ProjectsPage } from './pages/projects/Projects';
import { SettingsPage } from './pages/Settings';
import { UsageArchivesPage } from './pages/UsageArchives';
import { StatementsPage } from './pages/Statements';
import { ForecastPage } from './pages/Forecast';
import './styles.css';

// Pages with charts load chart.js with them (a separate chunk, so the sign-in pages stay
// small); the admin console is its own chunk too: most users never load it.
const OverviewPage = lazy(() => import('./pages/Overview').then((m) => ({ default: m.OverviewPage })));
const UsagePage = lazy(() => import('./pages/Usage').then((m) => ({ default: m.UsagePage })));
const AdminAccountsPage = lazy(() => import('./pages/admin/Accounts').then((m) => ({ default: m.AdminAccountsPage })));
const AdminAuditPage = lazy(() => import('./pages/admin/Audit').then((m) => ({ default: m.AdminAuditPage })));
const AdminAnalyticsPage = lazy(() => import('./pages/admin/Analytics').then((m) => ({ default: m.AdminAnalyticsPage })));
const AdminPromotionsPage = lazy(() => import('./pages/admin/Promotions').then((m) => ({ default: m.AdminPromotionsPage })));
const AdminReviewsPage = lazy(() => import('./pages/admin/Reviews').then((m) => ({ default: m.AdminReviewsPage })));
const AdminServicesPage = lazy(() => import('./pages/admin/Services').then((m) => ({ default: m.AdminServicesPage })));
const AdminTopupsPage = lazy(() => import('./pages/admin/Topups').then((m) => ({ default: m.AdminTopupsPage })));

/** Shows the signed-in layout only with a session; otherwise sends the user to /login?next=… */
function RequireSession() {
  const { state, refresh } = useSession();
  const location = useLocation();
  if (state.status === 'loading')
    return (
      <div className="boot">
        <Loading what="Loading your dashboard…" />
      </div>
    );
  if (state.status === 'error')
    return (
      <div className="boot">
        <ErrorNote message={state.message} onRetry={() => void refresh()} />
      </div>
    );
  if (state.status === 'signed-out') {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Layout />;
}

/** The admin console's pages, for role 'admin' only (the API refuses everyone else anyway). */
function RequireAdmin() {
  const me = useMe();
  return me.user.role === 'admin' ? <Outlet /> : <NotFoundPage message="This page is for administrators." />;
}

/** Wraps a lazily loaded page. */
function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function App() {
  return (
    <Routes>
      <Route path="/signup" element={<SignupPage />} />
      <Route path="/login" element={<LoginPage />} />
      <Route path="/verified" element={<VerifiedPage />} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/dev/mail" element={<DevMailPage />} />
      <Route path="/invite" element={<AcceptInvitationPage />} />
      <Route element={<RequireSession />}>
        <Route
          index
          element={
            <Page>
              <OverviewPage />
            </Page>
          }
        />
        <Route path="/keys" element={<KeysPage />} />
        <Route path="/projects" element={<ProjectsPage />} />
        <Route path="/members" element={<MembersPage />} />
        <Route
          path="/usage"
          element={
            <Page>
              <UsagePage />
            </Page>
          }
        />
        <Route path="/usage-archives" element={<UsageArchivesPage />} />
        <Route path="/forecast" element={<ForecastPage />} />
        <Route path="/budgets" element={<BudgetsPage />} />
        <Route path="/anomalies" element={<AnomaliesPage />} />
        <Route path="/notifications" element={<NotificationsPage />} />
        <Route path="/billing" element={<BillingPage />} />
        <Route path="/statements" element={<StatementsPage />} />
        <Route path="/settings" element={<SettingsPage />} />
        <Route path="/admin" element={<RequireAdmin />}>
          <Route index element={<Navigate to="/admin/analytics" replace />} />
          <Route
            path="analytics"
            element={
              <Page>
                <AdminAnalyticsPage />
              </Page>
            }
          />
          <Route
            path="services"
            element={
              <Page>
                <AdminServicesPage />
              </Page>
            }
          />
          <Route
            path="accounts"
            element={
              <Page>
                <AdminAccountsPage />
              </Page>
            }
          />
          <Route
            path="topups"
            element={
              <Page>
                <AdminTopupsPage />
              </Page>
            }
          />
          <Route
            path="promotions"
            element={
              <Page>
                <AdminPromotionsPage />
              </Page>
            }
          />
          <Route
            path="reviews"
            element={
              <Page>
                <AdminReviewsPage />
              </Page>
            }
          />
          <Route
            path="audit"
            element={
              <Page>
                <AdminAuditPage />
              </Page>
            }
          />
        </Route>
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <App />
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);
