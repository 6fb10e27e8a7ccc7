/**
 * @module api/organization
 * Which organisation the dashboard acts on: the switcher's choice, kept in localStorage so it
 * survives reloads and new tabs, and sent by the client as x-gateway-organization.
 */
import { setRequestOrganization } from './client';

const STORAGE_KEY = 'gateway.organization';

/** The organisation id chosen last in this browser, or null (the personal one). */
export function storedOrganization(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be switched off; the dashboard then acts on the personal organisation.
    return null;
  }
}

/** Chooses the organisation every following /api request acts on (null: the personal one). */
export function chooseOrganization(id: string | null): void {
  setRequestOrganization(id);
  try {
    if (id) window.localStorage.setItem(STORAGE_KEY, id);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Not kept across reloads; this tab still sends it.
  }
}
