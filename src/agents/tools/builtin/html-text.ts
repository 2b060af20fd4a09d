/**
 * Readable text from HTML without a DOM: scripts, styles and comments dropped, block elements as line breaks,
 * headings, list items and links kept in Markdown (`extractMode: "markdown"`) or plain (`"text"`), entities decoded.
 * Not Readability: no main-content scoring, which is why web_fetch reports its extractor as `basic`.
 */
export function htmlToText(html: string, mode: 'markdown' | 'text'): { title?: string; text: string } {
  const titleMatch = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  const title = titleMatch ? decodeEntities(stripTags(titleMatch[1] as string)).trim() : undefined;
  let body = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style|noscript|template|svg|head)\b[\s\S]*?<\/\1\s*>/gi, '');
  if (mode === 'markdown') {
    body = body
      .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (_m, level: string, inner: string) => {
        return `\n\n${'#'.repeat(Number(level))} ${stripTags(inner).trim()}\n\n`;
      })
      .replace(/<a\b[^>]*href\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi, (...m: string[]) => {
        const href = m[2] ?? m[3] ?? '';
        const label = stripTags(m[4] ?? '').trim();
        return label && href && !href.startsWith('javascript:') ? `[${label}](${href})` : label;
      })
      .replace(/<li\b[^>]*>/gi, '\n- ')
      .replace(/<(strong|b)\b[^>]*>([\s\S]*?)<\/\1\s*>/gi, '**$2**')
      .replace(/<(em|i)\b[^>]*>([\s\S]*?)<\/\1\s*>/gi, '_$2_');
  } else {
    body = body.replace(/<li\b[^>]*>/gi, '\n');
  }
  body = body
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|section|article|header|footer|li|ul|ol|table|tr|h[1-6]|pre|blockquote)\s*>/gi, '\n\n')
    .replace(/<(td|th)\b[^>]*>/gi, ' ');
  const text = decodeEntities(stripTags(body))
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return title ? { title, text } : { text };
}

function stripTags(html: string): string {
  return html.replace(/<[^>]*>/g, '');
}

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  copy: '©',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return NAMED[entity.toLowerCase()] ?? match;
  });
}
