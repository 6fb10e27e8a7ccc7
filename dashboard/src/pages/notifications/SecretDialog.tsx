/**
 * @module pages/notifications/SecretDialog
 * A webhook's signing secret, shown the one time the API returns it (on create and on rotation).
 */
import { CopyButton } from '../../components/CopyButton';
import { Dialog } from '../../components/Dialog';

export interface ShownSecret {
  channelName: string;
  secret: string;
  /** From a rotation: the old secret still signs for 24 hours. */
  rotated: boolean;
}

/** The secret with a Copy button (closed while `shown` is null). */
export function SecretDialog({ shown, onClose }: { shown: ShownSecret | null; onClose(): void }) {
  return (
    <Dialog open={shown !== null} title={shown?.rotated ? 'New signing secret' : 'Webhook signing secret'} onClose={onClose}>
      {shown && (
        <>
          <div className="dialog-body">
            <p>
              {shown.rotated ? 'The new secret' : 'The secret'} of “{shown.channelName}” signs every delivery (the <code>x-gateway-signature</code> header).{' '}
              <strong>Store it now: it is shown only once.</strong>
            </p>
            {shown.rotated && <p>For the next 24 hours each delivery carries a second signature with the old secret, so your receiver can switch over.</p>}
          </div>
          <div className="secret-row">
            <code className="secret" data-testid="channel-secret">
              {shown.secret}
            </code>
            <CopyButton text={shown.secret} />
          </div>
          <div className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
