import type { UpdateChannel } from '../config/types.ts';

/** `major.minor.patch`, an optional prerelease, an optional build (ignored, as semver orders it). */
export type Semver = { core: [number, number, number]; prerelease: readonly string[] };

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;
/** Longer than any real version: a registry answering a megabyte of digits is not worth parsing. */
const MAX_VERSION_LENGTH = 256;
const NUMERIC = /^\d+$/;

export function parseSemver(version: string): Semver | undefined {
  if (version.length > MAX_VERSION_LENGTH) return undefined;
  const match = SEMVER.exec(version);
  if (!match) return undefined;
  const core = [Number(match[1]), Number(match[2]), Number(match[3])] as [number, number, number];
  if (!core.every(Number.isSafeInteger)) return undefined;
  return { core, prerelease: match[4]?.split('.') ?? [] };
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  // Numeric identifiers compare as numbers and sort before alphanumeric ones (semver §11.4).
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric !== bNumeric) return aNumeric ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver precedence: negative when `a` is older, 0 when equal, positive when newer. */
export function compareSemver(a: Semver, b: Semver): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return Math.sign(a.core[i] - b.core[i]);
  // A prerelease sorts before its release: 1.2.0-beta.1 < 1.2.0.
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const order = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (order !== 0) return order;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

/**
 * Is `latest` a release the operator on `channel` should hear about? Conservative: anything unparseable is no
 * update, and on `stable` a prerelease never is, however new (a stable install must not be nudged onto a beta).
 */
export function isNewerRelease(latest: string, current: string, channel: UpdateChannel): boolean {
  const next = parseSemver(latest);
  const running = parseSemver(current);
  if (!next || !running) return false;
  if (channel === 'stable' && next.prerelease.length > 0) return false;
  return compareSemver(next, running) > 0;
}
