/**
 * OpenClaw's `channels.telegram` keys that clawgate accepts but does not act on (webhook mode, media, reactions,
 * reply threading, exec approvals, …). The schema lets them through so an OpenClaw user's block loads as is; the
 * account names the ones it finds in one warning when it starts. Taken from OpenClaw 2026.9.6's Telegram schema.
 */
export const IGNORED_ACCOUNT_KEYS = [
  'capabilities',
  'markdown',
  'configWrites',
  'defaultTo',
  'mentionPatterns',
  'contextVisibility',
  'historyLimit',
  'dmHistoryLimit',
  'dms',
  'heartbeatVisibility',
  'healthMonitor',
  'responsePrefix',
  'mediaMaxMb',
  'replyToMode',
  'joinIntro',
  'execApprovals',
  'direct',
  'richMessages',
  'network',
  'proxy',
  'webhookUrl',
  'webhookSecret',
  'webhookPath',
  'webhookHost',
  'webhookPort',
  'webhookCertPath',
  'actions',
  'threadBindings',
  'reactionNotifications',
  'reactionLevel',
  'ackReaction',
  'linkPreview',
  'silentErrorReplies',
  'errorPolicy',
  'trustedLocalFileRoots',
  'autoTopicLabel',
] as const;

/** Keys of a `groups.<id>` (or topic) entry clawgate ignores. */
export const IGNORED_GROUP_KEYS = [
  'tools',
  'toolsBySender',
  'skills',
  'systemPrompt',
  'ingest',
  'disableAudioPreflight',
  'errorPolicy',
  'topics',
  'agentId',
] as const;

/** `streaming` object keys besides `mode` (preview and progress tuning, block streaming). */
export const IGNORED_STREAMING_KEYS = ['chunkMode', 'preview', 'progress', 'block'] as const;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const ACCOUNT = new Set<string>(IGNORED_ACCOUNT_KEYS);
const GROUP = new Set<string>(IGNORED_GROUP_KEYS);
const STREAMING = new Set<string>(IGNORED_STREAMING_KEYS);

/** The ignored keys set in one account's blocks (the root's, then the account's), as dotted paths. */
export function ignoredKeys(blocks: { path: string; config: Obj | undefined }[]): string[] {
  const found: string[] = [];
  for (const { path, config } of blocks) {
    if (!config) continue;
    for (const [key, value] of Object.entries(config)) {
      if (value === undefined) continue;
      if (ACCOUNT.has(key)) found.push(`${path}.${key}`);
      if (key === 'commands' && isObj(value) && value.nativeSkills !== undefined) {
        found.push(`${path}.commands.nativeSkills`);
      }
      if (key === 'streaming' && isObj(value)) {
        for (const sub of Object.keys(value)) if (STREAMING.has(sub)) found.push(`${path}.streaming.${sub}`);
      }
    }
    if (isObj(config.groups)) {
      const groupKeys = new Set<string>();
      for (const group of Object.values(config.groups)) {
        if (!isObj(group)) continue;
        for (const key of Object.keys(group)) if (GROUP.has(key)) groupKeys.add(key);
      }
      for (const key of groupKeys) found.push(`${path}.groups.*.${key}`);
    }
  }
  return found;
}
