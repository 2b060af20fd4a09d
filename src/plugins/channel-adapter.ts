import {
  type ChannelAccount,
  type ChannelAccountContext,
  type ChannelAccountHandle,
  type ChannelAdapter,
  DM_POLICIES,
  type DmPolicy,
  GROUP_POLICIES,
  type GroupPolicy,
} from '../channels/channel-types.ts';
import type { GatewayConfig } from '../config/types.ts';
import type {
  ChannelAccountSnapshot,
  ChannelGatewayContext,
  ChannelPluginConfig,
  PluginChannel,
} from './channel-types.ts';

/** OpenClaw's default outbound chunk when a channel names none. */
const DEFAULT_TEXT_CHUNK_LIMIT = 4000;
/** After `stopAccount`, how long a still-running `startAccount` is waited for before the stop gives up on it. */
const STOP_GRACE_MS = 5_000;

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function attempt<T>(run: () => T): { value: T } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function dmPolicy(value: unknown, fallback: DmPolicy): DmPolicy {
  return (DM_POLICIES as readonly unknown[]).includes(value) ? (value as DmPolicy) : fallback;
}

function ids(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String)
    : [];
}

/** The plugin's `channels.<id>` block, where OpenClaw channel plugins keep their account settings. */
function section(cfg: ChannelPluginConfig, channelId: string): Obj {
  const channels = (cfg as Obj).channels;
  const block = isObj(channels) ? channels[channelId] : undefined;
  return isObj(block) ? block : {};
}

type Settings = { account: unknown; cfg: ChannelPluginConfig };

/**
 * An OpenClaw channel plugin as clawgate's `ChannelAdapter`: `config.listAccountIds`/`resolveAccount`/
 * `inspectAccount` give the accounts, `security.dm` their DM policy and allowlist, `outbound.sendText` the
 * delivery, and `gateway.startAccount` runs the account (given clawgate's `receive` for inbound messages).
 * Whatever the plugin throws while accounts are read makes that account unconfigured, never a crash.
 */
export function channelAdapter(plugin: PluginChannel, label?: string): ChannelAdapter {
  const id = plugin.id;
  const groups = (plugin.capabilities?.chatTypes ?? ['direct']).some((type) => type !== 'direct');
  return {
    id,
    label: plugin.meta?.label ?? label ?? id,
    detailLabel: plugin.meta?.detailLabel ?? plugin.meta?.selectionLabel,
    accounts(config: GatewayConfig): ChannelAccount[] {
      const cfg = config as ChannelPluginConfig;
      const listed = attempt(() => plugin.config.listAccountIds(cfg));
      const accountIds =
        'value' in listed && Array.isArray(listed.value) ? [...new Set(ids(listed.value))] : [];
      const block = section(cfg, id);
      return accountIds.map((accountId) => {
        const resolved = attempt(() => plugin.config.resolveAccount(cfg, accountId));
        const account = 'value' in resolved ? resolved.value : undefined;
        const inspected = attempt(() => plugin.config.inspectAccount?.(cfg, accountId));
        const facts = 'value' in inspected && isObj(inspected.value) ? inspected.value : {};
        const { enabled: inspectedEnabled, configured: inspectedConfigured, name, ...statusFields } = facts;
        const enabledAnswer =
          account !== undefined && plugin.config.isEnabled
            ? attempt(() => plugin.config.isEnabled?.(account, cfg))
            : undefined;
        const enabled =
          typeof inspectedEnabled === 'boolean'
            ? inspectedEnabled
            : enabledAnswer
              ? 'value' in enabledAnswer && enabledAnswer.value !== false
              : block.enabled !== false;
        const configuredAnswer =
          account !== undefined && plugin.config.isConfigured
            ? attempt(() => plugin.config.isConfigured?.(account, cfg))
            : undefined;
        const configured =
          'value' in resolved &&
          (typeof inspectedConfigured === 'boolean'
            ? inspectedConfigured
            : configuredAnswer && 'value' in configuredAnswer
              ? configuredAnswer.value !== false
              : true);
        const dm = plugin.security?.dm;
        const policy = account !== undefined ? attempt(() => dm?.resolvePolicy?.(account)) : undefined;
        const allow = account !== undefined ? attempt(() => dm?.resolveAllowFrom?.(account)) : undefined;
        const groupPolicy = (GROUP_POLICIES as readonly unknown[]).includes(block.groupPolicy)
          ? (block.groupPolicy as GroupPolicy)
          : groups
            ? 'allowlist'
            : 'disabled';
        const settings: Settings = { account, cfg };
        return {
          accountId,
          ...(typeof name === 'string' ? { name } : {}),
          enabled,
          configured,
          access: {
            dmPolicy: dmPolicy(
              policy && 'value' in policy && policy.value !== undefined ? policy.value : block.dmPolicy,
              dm?.defaultPolicy ?? 'pairing',
            ),
            allowFrom:
              allow && 'value' in allow && allow.value !== undefined
                ? ids(allow.value)
                : ids(block.allowFrom),
            groupPolicy,
            groupAllowFrom: ids(block.groupAllowFrom),
            groups: isObj(block.groups) ? (block.groups as ChannelAccount['access']['groups']) : {},
            requireMention: block.requireMention !== false,
          },
          textChunkLimit: plugin.outbound?.textChunkLimit ?? DEFAULT_TEXT_CHUNK_LIMIT,
          streaming: false,
          settings: settings as unknown as Record<string, unknown>,
          statusFields: {
            ...statusFields,
            ...('error' in resolved ? { lastError: resolved.error } : {}),
          },
        };
      });
    },
    defaultAccountId(config: GatewayConfig): string {
      const cfg = config as ChannelPluginConfig;
      const named = attempt(() => plugin.config.defaultAccountId?.(cfg));
      if ('value' in named && typeof named.value === 'string') return named.value;
      const listed = attempt(() => plugin.config.listAccountIds(cfg));
      return ('value' in listed ? ids(listed.value)[0] : undefined) ?? 'default';
    },
    start: (ctx) => startAccount(plugin, ctx),
  };
}

async function startAccount(
  plugin: PluginChannel,
  ctx: ChannelAccountContext,
): Promise<ChannelAccountHandle> {
  const { accountId } = ctx.account;
  const settings = ctx.account.settings as unknown as Settings;
  const cfg = settings.cfg;
  const account = settings.account ?? plugin.config.resolveAccount(cfg, accountId);
  let status: ChannelAccountSnapshot = { accountId, running: true };
  const gatewayCtx: ChannelGatewayContext<unknown> = {
    cfg,
    accountId,
    account,
    abortSignal: ctx.signal,
    log: ctx.logger,
    runtime: { log: (message) => ctx.logger.info(message), error: (message) => ctx.logger.error(message) },
    getStatus: () => status,
    setStatus: (next) => {
      status = { ...next };
      ctx.report({
        ...(typeof next.connected === 'boolean' || typeof next.running === 'boolean'
          ? { connected: next.connected ?? next.running }
          : {}),
        ...(next.lastError !== undefined ? { lastError: next.lastError } : {}),
      });
    },
    receive: (message) =>
      ctx.receive({
        messageId: String(message.messageId),
        chatId: String(message.chatId),
        peerKind: message.peerKind ?? 'direct',
        ...(message.threadId !== undefined ? { threadId: String(message.threadId) } : {}),
        senderId: String(message.senderId),
        ...(message.senderName !== undefined ? { senderName: message.senderName } : {}),
        ...(message.senderUsername !== undefined ? { senderUsername: message.senderUsername } : {}),
        text: String(message.text ?? ''),
        ...(message.wasMentioned !== undefined ? { wasMentioned: message.wasMentioned } : {}),
        timestamp: message.timestamp ?? Date.now(),
      }),
  };
  // OpenClaw's startAccount runs as long as the account does; its settling early is reported, not fatal.
  const running = plugin.gateway?.startAccount
    ? Promise.resolve().then(() => plugin.gateway?.startAccount?.(gatewayCtx))
    : undefined;
  running?.then(
    () => undefined,
    (error: unknown) => {
      if (ctx.signal.aborted) return;
      ctx.logger.warn(`channel ${plugin.id} account ${accountId} stopped: ${(error as Error).message}`);
      ctx.report({ connected: false, lastError: (error as Error).message });
    },
  );
  const logout = plugin.gateway?.logoutAccount;
  return {
    async send(message) {
      const sendText = plugin.outbound?.sendText;
      if (!sendText) throw new Error(`channel ${plugin.id} has no outbound.sendText`);
      const sent = await sendText({
        cfg,
        to: message.chatId,
        text: message.text,
        accountId,
        threadId: message.threadId ?? null,
        replyToId: message.replyToMessageId ?? null,
        silent: message.silent,
      });
      return { messageId: String(sent.messageId), chatId: message.chatId };
    },
    ...(logout
      ? {
          async logout() {
            await logout({ cfg, accountId, account });
          },
        }
      : {}),
    async stop() {
      await plugin.gateway?.stopAccount?.(gatewayCtx);
      if (!running) return;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STOP_GRACE_MS);
      });
      await Promise.race([running.catch(() => undefined), grace]);
      clearTimeout(timer);
    },
  };
}
