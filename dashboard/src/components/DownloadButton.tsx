/**
 * @module components/DownloadButton
 * "Export CSV" for a server-side export: fetched through the API client (so it acts on the chosen
 * organisation, which a plain link could not say), then saved as a file.
 */
import { apiFile } from '../api/client';
import { useAction } from '../api/use-action';
import { saveBlob } from '../lib/save-file';

interface DownloadButtonProps {
  /** The /api path of the file. */
  path: string;
  /** Used when the server names no file. */
  fileName: string;
  label: string;
  /** Names the button for screen readers where several share one label (a download per row). */
  ariaLabel?: string;
  className?: string;
}

/** A button that downloads `path`; a failure shows beside it. */
export function DownloadButton({ path, fileName, label, ariaLabel, className = 'secondary small' }: DownloadButtonProps) {
  const { busy, error, run } = useAction();
  return (
    <>
      <button
        type="button"
        className={className}
        aria-label={ariaLabel}
        disabled={busy}
        onClick={() =>
          void run(async () => {
            const file = await apiFile(path);
            saveBlob(file.blob, file.fileName ?? fileName);
          })
        }
      >
        {busy ? 'Preparing…' : label}
      </button>
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
