/**
 * @module app
 * The Hono app: `/v1/*` inference (OpenAI-compatible) and `/api/*` management. Every route is
 * listed here explicitly; every error goes through `handleError`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env';
import { ApiError, handleError } from './errors';
import { apiKeyAuth } from './middleware/api-key-auth';
import { requireAccount } from './middleware/account-auth';
import { requireAdmin } from './middleware/admin-auth';
import { apiBodyLimit } from './middleware/body-limit';
import { jsonBodies } from './middleware/json-body';
import { requestId } from './middleware/request-id';
import { accountRoutes } from './routes/api/account';
import { accountAnalyticsRoutes, adminAnalyticsRoutes } from './routes/api/analytics';
import { archiveRoutes } from './routes/api/archives';
import { forecastRoutes } from './routes/api/forecast';
import { anomalyRoutes, anomalySettingsRoutes } from './routes/api/anomalies';
import { adminAccountRoutes } from './routes/api/admin-accounts';
import { adminBillingRoutes } from './routes/api/admin-billing';
import { adminServiceRoutes } from './routes/api/admin-services';
import { adminDemoRoutes } from './routes/api/admin-demo';
import { billingRoutes } from './routes/api/billing';
import { statementRoutes } from './routes/api/statements';
import { webhookRoutes } from './routes/api/webhooks';
import { keyRoutes } from './routes/api/keys';
import { alertRoutes, budgetRoutes, calendarRoutes } from './routes/api/budgets';
import { alertSettingsRoutes, notificationChannelRoutes } from './routes/api/notifications';
import { authRoutes, devMailRoutes, meRoutes } from './routes/api/identity';
import { acceptInvitationRoutes, invitationRoutes, memberRoutes, organizationRoutes } from './routes/api/organizations';
import { projectRoutes } from './routes/api/projects';
import { openApiDocument } from './routes/api/openapi';
import { inference } from './routes/v1/inference';
import { listModels, retrieveModel } from './routes/v1/models';

/** Largest body of any /api request (the largest real one, a key with 64 per-model limits, is a few KB). */
const API_MAX_BODY_BYTES = 64 * 1024;
/** Provider webhooks: Stripe events can reach a few hundred KB. */
const WEBHOOK_MAX_BODY_BYTES = 512 * 1024;

/** Builds the application. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', requestId());
  app.onError(handleError);
  app.notFound(() => {
    throw new ApiError({ code: 'not_found', message: 'No such route.' });
  });

  // Inference (OpenAI-compatible)
  app.use('/v1/*', apiKeyAuth());
  app.post('/v1/chat/completions', inference('chat'));
  app.post('/v1/completions', inference('completions'));
  app.post('/v1/embeddings', inference('embeddings'));
  app.get('/v1/models', listModels);
  // Model names may contain '/' (e.g. org/model), as OpenAI's do for fine-tunes.
  app.get('/v1/models/:model{.+}', retrieveModel);

  // Management
  app.use('/api/*', apiBodyLimit({ maxBytes: API_MAX_BODY_BYTES, larger: { '/api/webhooks/': WEBHOOK_MAX_BODY_BYTES } }));
  app.use('/api/*', jsonBodies({ except: ['/api/auth/', '/api/webhooks/'] }));
  app.get('/api/health', (c) => c.json({ ok: true }));
  // The document is generated once, below, after every route is mounted.
  let openapi: ReturnType<typeof openApiDocument>;
  app.get('/api/openapi.json', (c) => c.json(openapi));
  app.get('/api/docs', (c) => c.redirect(`${c.env.DASHBOARD_URL ?? ''}/docs`, 302));
  app.route('/api/auth', authRoutes);
  app.route('/api/me', meRoutes);
  app.route('/api/dev/mail', devMailRoutes);
  app.route('/api/organizations', organizationRoutes);
  app.route('/api/invitations/accept', acceptInvitationRoutes);
  app.use('/api/account', requireAccount());
  app.use('/api/account/*', requireAccount());
  app.route('/api/account', accountRoutes);
  app.route('/api/account/analytics', accountAnalyticsRoutes);
  app.route('/api/account/usage-archives', archiveRoutes);
  app.route('/api/account/forecast', forecastRoutes);
  app.route('/api/account/keys', keyRoutes);
  app.route('/api/account/projects', projectRoutes);
  app.route('/api/account/members', memberRoutes);
  app.route('/api/account/invitations', invitationRoutes);
  app.route('/api/account/budgets', budgetRoutes);
  app.route('/api/account/calendar', calendarRoutes);
  app.route('/api/account/alerts', alertRoutes);
  app.route('/api/account/anomalies', anomalyRoutes);
  app.route('/api/account/anomaly-settings', anomalySettingsRoutes);
  app.route('/api/account/alert-settings', alertSettingsRoutes);
  app.route('/api/account/notification-channels', notificationChannelRoutes);
  app.route('/api/account', billingRoutes);
  app.route('/api/account/statements', statementRoutes);
  app.route('/api/webhooks', webhookRoutes);
  app.use('/api/admin/*', requireAdmin());
  app.route('/api/admin/accounts', adminAccountRoutes);
  app.route('/api/admin/services', adminServiceRoutes);
  app.route('/api/admin/demo', adminDemoRoutes);
  app.route('/api/admin', adminBillingRoutes);
  app.route('/api/admin/analytics', adminAnalyticsRoutes);
  openapi = openApiDocument(app);
  return app;
}
