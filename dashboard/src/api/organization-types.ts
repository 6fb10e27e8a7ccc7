/**
 * @module api/organization-types
 * Organisations, their members, invitations and projects as /api answers them (docs/organizations.md).
 */

/** A member's role in an organisation (docs/organizations.md). */
export type Role = 'owner' | 'admin' | 'developer' | 'viewer';

/** An organisation the user belongs to, with their role there. */
export interface Organization {
  id: string;
  name: string;
  role: Role;
  /** The organisation created for the user at sign-up. */
  personal: boolean;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  joinedAt: number;
  projectIds: string[];
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  projectIds: string[];
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  revokedAt: number | null;
  state: 'pending' | 'accepted' | 'revoked' | 'expired';
}

/** Limits a new key of a project gets where its request sets none. */
export interface ProjectKeyDefaults {
  requestsPerMinute?: number | null;
  maxConcurrent?: number | null;
  spendLimitMicros?: number | null;
  periodSpendLimitMicros?: number | null;
  period?: 'day' | 'month' | null;
}

export interface Project {
  id: string;
  name: string;
  /** The models its keys may use; null: any. */
  allowedServices: string[] | null;
  keyDefaults: ProjectKeyDefaults;
  /** User ids of its members. */
  members: string[];
  /** The default project: keys made without a project go here; it cannot be deleted. */
  default: boolean;
  createdAt: number;
  updatedAt: number;
}

/** The body of a project create or (partial) edit. */
export interface ProjectInput {
  name: string;
  allowedServices: string[] | null;
  keyDefaults: ProjectKeyDefaults;
  members: string[];
}
