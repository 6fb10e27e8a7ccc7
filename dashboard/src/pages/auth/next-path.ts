/**
 * @module pages/auth/next-path
 * Where the sign-in pages send the user afterwards (`?next=`): same-site paths only.
 */

/** `next` when it is a path on this site, else the overview. */
export function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/** `path` with `?next=` appended when there is somewhere to come back to. */
export function withNext(path: string, next: string): string {
  return next === '/' ? path : `${path}?next=${encodeURIComponent(next)}`;
}
