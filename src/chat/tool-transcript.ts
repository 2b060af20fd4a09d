/** Stored tool-result details at most this many bytes of JSON; larger ones are replaced (OpenClaw's rule). */
export const MAX_STORED_DETAILS_BYTES = 16 * 1024;

/**
 * A tool result's `details` as the transcript keeps them: as given when small, else a marker saying they were
 * dropped (`persistedDetailsTruncated`, OpenClaw's field). Details are for clients; the model never sees them.
 */
export function boundedDetails(details: unknown): unknown {
  if (details === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(details);
  } catch {
    return { persistedDetailsTruncated: true, reason: 'not JSON' };
  }
  if (json === undefined) return undefined;
  if (Buffer.byteLength(json) <= MAX_STORED_DETAILS_BYTES) return JSON.parse(json) as unknown;
  return { persistedDetailsTruncated: true, bytes: Buffer.byteLength(json) };
}
