/**
 * Escaping for the HTML evidence report. Everything that comes from a run (SIP text, check
 * sentences, file names) goes through here before it reaches the page, in element content,
 * attribute values and inline SVG alike.
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for HTML/SVG element content and quoted attribute values. Control characters
 * other than tab, CR and LF (which a garbage SIP message may hold) become U+FFFD so the page
 * stays well-formed XML for the inline SVG.
 */
export function escapeHtml(value: unknown): string {
  const s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return s
    .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/g, '\ufffd')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/**
 * A relative path from the run (evidence file) as a safe href: only relative paths without
 * a scheme or parent steps are linked; anything else yields undefined (shown as text, unlinked).
 */
export function safeRelativeHref(path: string | undefined): string | undefined {
  if (!path || typeof path !== 'string') return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.startsWith('\\')) return undefined;
  if (path.split(/[\\/]/).some((p) => p === '..')) return undefined;
  return path
    .split('/')
    .map((p) => encodeURIComponent(p))
    .join('/');
}

/** A string usable as an HTML id (and CSS selector) derived from any case id. */
export function htmlId(prefix: string, value: string): string {
  return `${prefix}-${value.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`;
}
