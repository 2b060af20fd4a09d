/**
 * Cuts `text` into pieces of at most `limit` characters (UTF-16 code units, what Telegram and most networks
 * count), preferring to cut after a paragraph break, then a line break, then a space, and only then mid-word.
 * The pieces joined give the text back exactly, with nothing lost or repeated; the whitespace at a cut stays
 * at the end of the piece before it (a network that trims messages drops only that). A surrogate pair is never
 * split.
 */
export function splitText(text: string, limit: number): string[] {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`text chunk limit must be >= 1, got ${limit}`);
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = cutPoint(rest, limit);
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest.length > 0 || pieces.length === 0) pieces.push(rest);
  return pieces;
}

/** Where the first piece of `text` (longer than `limit`) ends: just after the best break within the limit. */
function cutPoint(text: string, limit: number): number {
  const window = text.slice(0, limit + 1);
  // A break in the first half would leave a tiny piece and many messages; take it only past the half way mark.
  const floor = Math.floor(limit / 2);
  for (const pattern of [/\n[ \t]*\n[ \t\n]*/g, /\n[ \t]*/g, /[ \t]+/g]) {
    let best = -1;
    for (const match of window.matchAll(pattern)) {
      const end = match.index + match[0].length;
      if (match.index > floor && match.index <= limit) best = Math.min(end, limit);
    }
    if (best > 0) return best;
  }
  // No break at all: a hard cut, moved back one unit rather than between the halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff && limit > 1 ? limit - 1 : limit;
}
