const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/**
 * OpenClaw's duration strings (`"30d"`, `"24h"`, `"1h30m"`, `"500ms"`) in milliseconds; a bare number is
 * milliseconds. `undefined` for anything else, so the caller names the key in its error.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let matched = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(text); match; match = PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    while (text[PART.lastIndex] === ' ') PART.lastIndex += 1;
    matched = PART.lastIndex;
  }
  return matched === text.length && matched > 0 ? Math.round(total) : undefined;
}

/** The TypeBox-free pattern a config schema uses for a duration string (keeps the schema layer lazy-safe). */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d|w)\\s*)+$|^\\d+$';
