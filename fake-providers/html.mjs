// @ts-check
/** The shared look of the fake providers' checkout pages: plain HTML, inline CSS, no scripts. */

/**
 * Escape text for HTML element content and quoted attribute values.
 * @param {unknown} value
 */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A whole page around `body` (already-escaped HTML).
 * @param {string} title
 * @param {string} body
 */
export function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; background: #f4f5f7; color: #1a1f36; margin: 0; }
  main { max-width: 30rem; margin: 3rem auto; background: #fff; border-radius: 10px; padding: 2rem;
         box-shadow: 0 2px 12px rgba(0, 0, 0, .08); }
  .badge { display: inline-block; font-size: .75rem; background: #ffde92; color: #5c3c00; border-radius: 4px;
           padding: .1rem .45rem; vertical-align: middle; }
  .amount { font-size: 2.2rem; font-weight: 600; margin: .4rem 0 1rem; }
  .muted { color: #697386; font-size: .875rem; }
  .error { background: #fde8e8; color: #8a1c1c; padding: .6rem .8rem; border-radius: 6px; }
  form { margin: .6rem 0; }
  button { width: 100%; font: inherit; padding: .7rem; border-radius: 6px; border: 1px solid #c1c9d2;
           background: #fff; cursor: pointer; }
  button.primary { background: #635bff; border-color: #635bff; color: #fff; font-weight: 600; }
  a.button { display: block; text-align: center; margin-top: .6rem; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem 1rem; font-size: .875rem; }
  dt { color: #697386; } dd { margin: 0; word-break: break-all; }
</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

/**
 * A one-button form posting `fields` to `action`.
 * @param {string} action
 * @param {string} label
 * @param {Record<string, string>} [fields]
 * @param {{ primary?: boolean, note?: string }} [options]
 */
export function postButton(action, label, fields = {}, { primary = false, note } = {}) {
  const hidden = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const hint = note ? `<div class="muted">${escapeHtml(note)}</div>` : '';
  return `<form method="post" action="${escapeHtml(action)}">${hidden}<button${primary ? ' class="primary"' : ''}>${escapeHtml(label)}</button>${hint}</form>`;
}
