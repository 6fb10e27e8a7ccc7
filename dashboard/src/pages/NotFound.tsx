/**
 * @module pages/NotFound
 * An unknown route inside the dashboard.
 */
import { Link } from 'react-router';

/** A page that does not exist (or is not for this user). */
export function NotFoundPage({ message = 'There is no page at this address.' }: { message?: string }) {
  return (
    <div className="not-found">
      <h1>Page not found</h1>
      <p className="muted">{message}</p>
      <p>
        <Link to="/">Go to the overview</Link>
      </p>
    </div>
  );
}
