/**
 * How memory hits are scored: the terms FTS5 matched, ranked in JavaScript by BM25 over the candidates' own text,
 * then weighted by age. FTS5's `bm25()` counts the documents of every query phrase over the whole index before it
 * ranks a single row (measured 5–100 ms at 100 000 messages for common words); ranking a bounded candidate set
 * here, with document frequencies from the vocabulary table (cached), keeps a search's cost independent of how
 * large the index grows.
 */

/** Lowercase words as the FTS5 `unicode61 remove_diacritics 2` tokenizer cuts them: letters and digits. */
export function tokenize(text: string): string[] {
  // Most text is ASCII: decomposing it (to drop diacritics) would cost more than the rest of the ranking.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, control characters included
  if (!/[^\x00-\x7f]/.test(text)) return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** Unique terms of a query, in order. */
export function queryTerms(query: string): string[] {
  return [...new Set(tokenize(query))];
}

/** A MATCH expression: each term quoted (so none is read as an FTS5 operator), all required or any. */
export function matchExpression(terms: readonly string[], join: 'AND' | 'OR' = 'AND'): string {
  return terms.map((term) => `"${term.replaceAll('"', '')}"`).join(` ${join} `);
}

/** Words too common to search on alone (the keyword fallback drops them, as OpenClaw's does). */
const STOP_WORDS = new Set(
  (
    'a about above after again all also am an and any are as at be because been before being below between both ' +
    'but by can could did do does doing down during each few for from further had has have having he her here ' +
    'hers him his how i if in into is it its just me more most my no nor not now of off on once only or other our ' +
    'out over own same she should so some such than that the their them then there these they this those through ' +
    'to too under until up very was we were what when where which while who whom why will with would you your'
  ).split(' '),
);

export function isStopWord(term: string): boolean {
  return STOP_WORDS.has(term);
}

/** Terms the keyword fallback searches one by one: no stop words, no single characters, at most `limit`. */
export function keywordTerms(terms: readonly string[], limit: number): string[] {
  return terms.filter((term) => term.length > 1 && !STOP_WORDS.has(term)).slice(0, limit);
}

const K1 = 1.2;
const B = 0.75;

export type CorpusStats = {
  /** Documents in the index. */
  docs: number;
  /** Documents containing the term. */
  df(term: string): number;
};

/**
 * BM25 of each candidate's token list for `terms` (OpenClaw's keyword ranking is FTS5's BM25 too). The average
 * length is the candidates': the index does not keep one, and among the candidates it only shifts scores alike.
 */
export function bm25(terms: readonly string[], docs: readonly string[][], stats: CorpusStats): number[] {
  if (docs.length === 0) return [];
  const avgLength = docs.reduce((sum, tokens) => sum + tokens.length, 0) / docs.length || 1;
  const idf = terms.map((term) => {
    const df = Math.min(stats.df(term), stats.docs);
    return Math.log(1 + (stats.docs - df + 0.5) / (df + 0.5));
  });
  return docs.map((tokens) => {
    const counts = new Map<string, number>();
    for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    const norm = K1 * (1 - B + (B * tokens.length) / avgLength);
    let score = 0;
    terms.forEach((term, i) => {
      const tf = counts.get(term) ?? 0;
      if (tf > 0) score += (idf[i] * (tf * (K1 + 1))) / (tf + norm);
    });
    return score;
  });
}

/** 0–1, as OpenClaw maps an FTS5 rank to a score: relevance / (1 + relevance). */
export function relevanceScore(raw: number): number {
  return raw > 0 ? raw / (1 + raw) : 0;
}

const DAY_MS = 86_400_000;
/** OpenClaw's fixed recency half-life for dated notes (and here for transcript messages). */
export const RECENCY_HALF_LIFE_DAYS = 30;

/** The weight of something dated `at` seen `now`: 1 when new, ½ after the half-life; the future counts as new. */
export function recencyWeight(at: number, now: number): number {
  const ageDays = Math.max(0, now - at) / DAY_MS;
  return 0.5 ** (ageDays / RECENCY_HALF_LIFE_DAYS);
}

/**
 * The date of a daily note (`memory/2026-03-01.md`, `memory/2026-03-01-standup.md`, at any depth), as UTC
 * midnight; undefined for evergreen files (`MEMORY.md`, `USER.md`, undated notes), which never decay.
 */
export function datedNoteTime(path: string): number | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:-.*)?\.md$/.exec(name);
  if (!match) return undefined;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(time) ? undefined : time;
}

/** OpenClaw's snippet budget. */
export const SNIPPET_MAX_CHARS = 700;

/**
 * At most SNIPPET_MAX_CHARS of `text`, starting a little before the first matched term when the whole would not
 * fit, with `…` where it was cut.
 */
export function snippet(text: string, terms: readonly string[]): string {
  const trimmed = text.trim();
  if (trimmed.length <= SNIPPET_MAX_CHARS) return trimmed;
  const lower = trimmed.toLowerCase();
  let first = -1;
  for (const term of terms) {
    const at = lower.indexOf(term);
    if (at >= 0 && (first < 0 || at < first)) first = at;
  }
  const start = Math.max(0, Math.min(first - 80, trimmed.length - SNIPPET_MAX_CHARS));
  const body = trimmed.slice(start, start + SNIPPET_MAX_CHARS - 2);
  return `${start > 0 ? '…' : ''}${body}${start + body.length < trimmed.length ? '…' : ''}`;
}
