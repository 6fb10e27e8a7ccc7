/**
 * @module lib/save-file
 * Hands a Blob to the browser as a downloaded file.
 */

/** Saves `blob` as `fileName` (the browser's download, as a link with `download` would). */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once the click's task is over.
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}
