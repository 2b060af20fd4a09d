/** A piece of a memory file: lines `startLine`–`endLine` (1-based, inclusive) and their text. */
export type MarkdownChunk = { startLine: number; endLine: number; text: string };

/**
 * About OpenClaw's chunk size (400 tokens, 80 overlapping) in characters, at ~4 characters a token: small enough
 * that a hit points at the lines that matter, large enough to keep a note's context together.
 */
export const CHUNK_MAX_CHARS = 1_600;
export const CHUNK_OVERLAP_CHARS = 320;

/**
 * Splits a file into chunks of whole lines, each at most CHUNK_MAX_CHARS (a longer line is cut into pieces that
 * keep its line number), the next starting with the last CHUNK_OVERLAP_CHARS-worth of lines of the one before, so
 * a passage cut at a boundary is still found whole in one of them. Blank-only chunks are dropped.
 */
export function chunkMarkdown(content: string): MarkdownChunk[] {
  const lines = content.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const pieces: { line: number; text: string }[] = [];
  lines.forEach((text, index) => {
    if (text.length <= CHUNK_MAX_CHARS) pieces.push({ line: index + 1, text });
    else
      for (let at = 0; at < text.length; at += CHUNK_MAX_CHARS)
        pieces.push({ line: index + 1, text: text.slice(at, at + CHUNK_MAX_CHARS) });
  });
  const chunks: MarkdownChunk[] = [];
  let start = 0;
  while (start < pieces.length) {
    let end = start;
    let chars = pieces[start].text.length;
    while (end + 1 < pieces.length && chars + 1 + pieces[end + 1].text.length <= CHUNK_MAX_CHARS) {
      end += 1;
      chars += 1 + pieces[end].text.length;
    }
    const text = pieces
      .slice(start, end + 1)
      .map((piece) => piece.text)
      .join('\n');
    if (text.trim() !== '') chunks.push({ startLine: pieces[start].line, endLine: pieces[end].line, text });
    if (end + 1 >= pieces.length) break;
    // Step back over the overlap, but always move forward.
    let next = end + 1;
    let overlap = 0;
    while (next - 1 > start && overlap + pieces[next - 1].text.length <= CHUNK_OVERLAP_CHARS) {
      next -= 1;
      overlap += pieces[next].text.length + 1;
    }
    start = next;
  }
  return chunks;
}
