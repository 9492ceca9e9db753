/**
 * Escaping for every text that comes from a plan or a run (titles, objectives, probe details,
 * fault names, reasons): a report is read by people who did not write the plan, and a title
 * such as `<script>` or `a | b` must print as written, never as markup.
 */

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] as string);
}

/**
 * Characters XML 1.0 forbids even as character references (C0 controls other than tab, LF
 * and CR; lone surrogates; U+FFFE and U+FFFF). A probe detail can carry raw bytes of an HTTP
 * body, and one such character makes a JUnit file unreadable to CI, so they are dropped.
 */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripInvalidXml(text: string): string {
  return text.replace(INVALID_XML, '');
}

/** Escapes text for XML element content and quoted attribute values (JUnit, SVG). */
export function escapeXml(text: string): string {
  return escapeHtml(stripInvalidXml(text)).replace(/&#39;/g, '&apos;');
}

/**
 * Escapes text for Markdown, safe inside a table cell: `|` would end the cell, backslashes and
 * backticks would start escapes and code spans, `<`/`>` would be raw HTML, emphasis, link,
 * heading and list markers would format the text. Newlines end a table row, so they become
 * `<br>` (the one HTML the output keeps on purpose) or a space.
 */
export function escapeMarkdown(text: string, newline: 'br' | 'space' = 'br'): string {
  const escaped = text
    .replace(/[\\`*_[\]|#]/g, (ch) => `\\${ch}`)
    // a paragraph starting with `- `, `+ ` or `1. ` would turn into a list
    .replace(/^(\s*)([-+])(?=\s|$)/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])(?=\s|$)/, '$1\\$2')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  return escaped.replace(/\r\n|\r|\n/g, newline === 'br' ? '<br>' : ' ');
}
