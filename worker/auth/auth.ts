/**
 * @module auth/auth
 * better-auth, configured for the gateway: e-mail + password with verification, password
 * reset by mail, the role field (user | admin), TOTP two-factor, sessions in D1 (drizzle adapter), secure
 * cookies, and rate limits counted in D1 so every isolate sees the same counts.
 * The instance holds configuration only (no request state), so it is cached per isolate for
 * each `env` object.
 */
import { betterAuth } from 'better-auth/minimal';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { twoFactor } from 'better-auth/plugins/two-factor';
import { database } from '../db/client';
import { authAccount, authSession, authTwoFactor, authUser, authVerification } from '../db/auth-schema';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { linkMail, mailSender } from './mail';
import { consume } from './throttle';
import { ensureBillingAccount, isAdminEmail, promoteToAdmin } from './users';

const MINUTE = 60;

function buildAuth(env: Env) {
  const secret = env.BETTER_AUTH_SECRET;
  if (typeof secret !== 'string' || secret.length < 32) {
    throw new ApiError({
      code: 'service_unavailable',
      message: 'Sign-in is not configured on this gateway (missing: BETTER_AUTH_SECRET, at least 32 characters).',
    });
  }
  const dashboard = String(env.DASHBOARD_URL).replace(/\/+$/, '');
  return betterAuth({
    appName: 'GPU Gateway',
    secret,
    baseURL: dashboard,
    basePath: '/api/auth',
    trustedOrigins: [dashboard],
    database: drizzleAdapter(database(env.DB), {
      provider: 'sqlite',
      schema: {
        auth_user: authUser,
        auth_session: authSession,
        auth_account: authAccount,
        auth_verification: authVerification,
        auth_two_factor: authTwoFactor,
      },
    }),
    // The role is ours to set (sign-up hook below); no request can write it (`input: false`).
    user: { modelName: 'auth_user', additionalFields: { role: { type: 'string', required: false, defaultValue: 'user', input: false } } },
    session: { modelName: 'auth_session', expiresIn: 7 * 24 * 3600, updateAge: 24 * 3600 },
    account: { modelName: 'auth_account' },
    verification: { modelName: 'auth_verification' },
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: true,
      minPasswordLength: 10,
      maxPasswordLength: 128,
      resetPasswordTokenExpiresIn: 3600,
      revokeSessionsOnPasswordReset: true,
      // Sign-up answers the same for a taken address (no enumeration); the owner learns of it by mail.
      async onExistingUserSignUp({ user }) {
        await mailSender(env).send(
          linkMail(
            user.email,
            'Someone tried to sign up with your e-mail',
            'Someone tried to create a GPU Gateway account with this address, which already has one. ' +
              'If it was you, sign in, or reset your password if you forgot it.',
            'Sign in',
            `${dashboard}/login`,
          ),
        );
      },
      async sendResetPassword({ user, token }) {
        const link = `${dashboard}/reset-password?token=${encodeURIComponent(token)}`;
        await mailSender(env).send(
          linkMail(
            user.email,
            'Reset your GPU Gateway password',
            'Someone asked to reset the password of your GPU Gateway account. The link works for one hour.',
            'Set a new password',
            link,
          ),
        );
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: true,
      expiresIn: 24 * 3600,
      async sendVerificationEmail({ user, url }) {
        // better-auth builds the link on baseURL (the dashboard); land on /verified by default.
        const link = new URL(url);
        if (!link.searchParams.get('callbackURL') || link.searchParams.get('callbackURL') === '/') link.searchParams.set('callbackURL', '/verified');
        await mailSender(env).send(
          linkMail(
            user.email,
            'Verify your e-mail for GPU Gateway',
            'Confirm this address to finish creating your GPU Gateway account. If you did not sign up, ignore this mail.',
            'Verify my e-mail',
            link.toString(),
          ),
        );
      },
    },
    databaseHooks: {
      user: {
        // An ADMIN_EMAILS address becomes admin only once its owner has proven it (verification
        // marks the row verified; the update hook sees that), so whoever signs up first with the
        // operator's address before the operator does gets nothing.
        create: {
          async before(user) {
            return { data: { ...user, role: user.emailVerified && isAdminEmail(env, user.email) ? 'admin' : 'user' } };
          },
          async after(user) {
            await ensureBillingAccount(env, user);
          },
        },
        update: {
          async after(user) {
            const row = user as { id: string; email: string; emailVerified?: boolean; role?: string | null };
            if (row.emailVerified && row.role !== 'admin' && isAdminEmail(env, row.email)) await promoteToAdmin(env, row.id);
          },
        },
      },
    },
    plugins: [twoFactor({ issuer: 'GPU Gateway', schema: { twoFactor: { modelName: 'auth_two_factor' }, user: { modelName: 'auth_user' } } })],
    rateLimit: {
      enabled: true,
      window: MINUTE,
      max: 100,
      customRules: {
        '/sign-in/*': { window: MINUTE, max: 20 },
        '/sign-up/*': { window: MINUTE, max: 10 },
        '/request-password-reset': { window: MINUTE, max: 5 },
        '/reset-password': { window: MINUTE, max: 10 },
        '/change-password': { window: MINUTE, max: 10 },
        '/two-factor/*': { window: MINUTE, max: 20 },
      },
      customStorage: { consume: (key, rule) => consume(env.DB, `auth:${key}`, rule) },
    },
    advanced: {
      useSecureCookies: true,
      defaultCookieAttributes: { httpOnly: true, secure: true, sameSite: 'lax' },
      ipAddress: { ipAddressHeaders: ['cf-connecting-ip'] },
    },
    telemetry: { enabled: false },
  });
}

export type Auth = ReturnType<typeof buildAuth>;

const cache = new WeakMap<Env, Auth>();

/** The auth instance for this environment (cached per isolate; configuration only). */
export function authFor(env: Env): Auth {
  let auth = cache.get(env);
  if (!auth) {
    auth = buildAuth(env);
    cache.set(env, auth);
  }
  return auth;
}
