/**
 * @module db/auth-schema
 * Identity tables (better-auth, through its drizzle adapter) and what the gateway keeps next to
 * them: the user → billing account link, the login throttle counters and the local mail outbox.
 * better-auth's model names are mapped to `auth_*` tables so that its "account" (a credential:
 * password hash or OAuth tokens) is never confused with our billing `accounts`.
 * JS keys are better-auth's field names (the adapter looks them up); columns are snake_case.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' });

export const authUser = sqliteTable('auth_user', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(false),
  image: text('image'),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
  /** 'user' | 'admin' (admin plugin). */
  role: text('role'),
  banned: integer('banned', { mode: 'boolean' }).default(false),
  banReason: text('ban_reason'),
  banExpires: timestamp('ban_expires'),
  twoFactorEnabled: integer('two_factor_enabled', { mode: 'boolean' }).default(false),
});

/** Server-side sessions; the cookie carries the signed token. */
export const authSession = sqliteTable(
  'auth_session',
  {
    id: text('id').primaryKey(),
    expiresAt: timestamp('expires_at').notNull(),
    token: text('token').notNull().unique(),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    userId: text('user_id')
      .notNull()
      .references(() => authUser.id, { onDelete: 'cascade' }),
    impersonatedBy: text('impersonated_by'),
  },
  (t) => [index('auth_session_user').on(t.userId)],
);

/** Credentials of a user (better-auth's "account"): for e-mail sign-in, the password hash (scrypt). */
export const authAccount = sqliteTable(
  'auth_account',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => authUser.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: timestamp('access_token_expires_at'),
    refreshTokenExpiresAt: timestamp('refresh_token_expires_at'),
    scope: text('scope'),
    password: text('password'),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('auth_account_user').on(t.userId)],
);

/** One-time tokens (password reset, two-factor steps) with their expiry. */
export const authVerification = sqliteTable(
  'auth_verification',
  {
    id: text('id').primaryKey(),
    identifier: text('identifier').notNull(),
    value: text('value').notNull(),
    expiresAt: timestamp('expires_at').notNull(),
    createdAt: timestamp('created_at').notNull(),
    updatedAt: timestamp('updated_at').notNull(),
  },
  (t) => [index('auth_verification_identifier').on(t.identifier)],
);

/** TOTP secret and backup codes (both encrypted by better-auth with BETTER_AUTH_SECRET). */
export const authTwoFactor = sqliteTable(
  'auth_two_factor',
  {
    id: text('id').primaryKey(),
    secret: text('secret').notNull(),
    backupCodes: text('backup_codes').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => authUser.id, { onDelete: 'cascade' }),
    verified: integer('verified', { mode: 'boolean' }).default(true),
    failedVerificationCount: integer('failed_verification_count').default(0),
    lockedUntil: timestamp('locked_until'),
  },
  (t) => [index('auth_two_factor_user').on(t.userId), index('auth_two_factor_secret').on(t.secret)],
);

/** The personal organisation each user gets at sign-up (one per user); membership is in `memberships`. */
export const userAccounts = sqliteTable('user_accounts', {
  userId: text('user_id')
    .primaryKey()
    .references(() => authUser.id, { onDelete: 'cascade' }),
  accountId: text('account_id').notNull().unique(),
  createdAt: integer('created_at').notNull(),
});

/**
 * Who belongs to which organisation (a billing account), with which role. A user may belong to
 * several; an organisation always keeps at least one owner (enforced by the routes).
 */
export const memberships = sqliteTable(
  'memberships',
  {
    accountId: text('account_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => authUser.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'developer', 'viewer'] }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.userId] }), index('memberships_user').on(t.userId)],
);

/**
 * An invitation to join an organisation, sent by e-mail. Only the token's SHA-256 is kept; it is
 * accepted once, by a signed-in user with that verified address, before it expires.
 */
export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    email: text('email').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'developer', 'viewer'] }).notNull(),
    /** JSON array of the project ids the member joins on acceptance. */
    projectIds: text('project_ids').notNull().default('[]'),
    tokenHash: text('token_hash').notNull().unique(),
    invitedBy: text('invited_by'),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
    acceptedBy: text('accepted_by'),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('invitations_account').on(t.accountId, t.createdAt)],
);

/**
 * Fixed-window counters shared by every isolate: better-auth's per-client limits and the
 * per-e-mail failed sign-in limit. A row whose window has passed is simply restarted.
 */
export const authRateLimit = sqliteTable('auth_rate_limit', {
  key: text('key').primaryKey(),
  count: integer('count').notNull(),
  windowStart: integer('window_start').notNull(),
});

/** Mail written instead of sent when MAIL_MODE=outbox (local development and tests). */
export const mailOutbox = sqliteTable(
  'mail_outbox',
  {
    id: text('id').primaryKey(),
    to: text('to').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('mail_outbox_to').on(t.to, t.createdAt)],
);
