import { type TSchema, Type } from 'typebox';
import { EXEC_ASK, EXEC_MODES, EXEC_SECURITY } from '../agents/approvals/policy.ts';
import { DM_POLICIES, GROUP_POLICIES } from '../channels/channel-types.ts';
import { TelegramChannelSchema } from '../channels/telegram/telegram-schema.ts';
import { DURATION_PATTERN } from './duration.ts';
import { LOG_MAX_FILE_BYTES_MIN, LOG_MAX_FILES_MAX, MEMORY_SEARCH_MAX_RESULTS } from './limits.ts';
import { McpSchema } from './mcp-schema.ts';
import { AgentToolsSchema, GatewayToolsSchema, toolsSchema } from './tools-schema.ts';
import {
  DISCOVERY_MODES,
  DM_SCOPES,
  GROUP_SCOPES,
  HOOK_ACTIONS,
  HOOK_SESSION_MODES,
  HOOK_WAKE_MODES,
  MAINTENANCE_MODES,
  MEMORY_CITATIONS,
  MEMORY_SOURCES,
  PEER_KINDS,
  TAILSCALE_MODES,
  UPDATE_CHANNELS,
} from './types.ts';

/** A DNS name of valid labels (letters, digits, inner hyphens; 63 bytes each, 253 in all), trailing dot allowed. */
const DNS_NAME_PATTERN =
  '^(?=.{1,253}\\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?$';

/**
 * The config file's schema. Every key carries a title and a description because `config.schema` serves this
 * schema to the Control UI, which draws its settings forms from it; docs/configuration.md holds the long form.
 */

/** Title and description of a key: what the settings forms label and explain it with. */
const about = <T extends TSchema>(title: string, description: string, schema: T) =>
  ({ ...schema, title, description }) as T;
const closed = (properties: Record<string, TSchema>) =>
  Type.Object(properties, { additionalProperties: false });
const section = (title: string, description: string, properties: Record<string, TSchema>) =>
  Type.Optional(about(title, description, closed(properties)));
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const key = <T extends TSchema>(title: string, description: string, schema: T) =>
  Type.Optional(about(title, description, schema));
const NonEmpty = Type.String({ minLength: 1 });
const Ms = Type.Integer({ minimum: 1 });
const Count = Type.Integer({ minimum: 1 });
const Bool = Type.Boolean();
const Strings = Type.Array(NonEmpty);
/** USD per million tokens. */
const Price = Type.Number({ minimum: 0 });
const oneOf = (values: readonly string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const Hex = Type.String({ pattern: '^#?[0-9a-fA-F]{6}$' });
const MaxHits = Type.Integer({ minimum: 1, maximum: MEMORY_SEARCH_MAX_RESULTS });
/** OpenClaw's duration strings (`"30d"`, `"1h30m"`) or milliseconds; `false` (or zero) keeps everything. */
const Retention = Type.Union([
  Type.String({ pattern: DURATION_PATTERN }),
  Type.Integer({ minimum: 0 }),
  Type.Literal(false),
]);

const LimitsSchema = section(
  'Limits',
  'Frame sizes, buffers, timers and queues; the defaults are OpenClaw’s.',
  {
    maxPreauthPayloadBytes: key(
      'Largest frame before hello',
      'Bytes; a larger frame closes the socket (1009).',
      Count,
    ),
    maxPayloadBytes: key(
      'Largest frame',
      'Bytes, after hello-ok; a larger frame closes the socket (1009).',
      Count,
    ),
    maxBufferedBytes: key(
      'Send buffer per socket',
      'Bytes queued to a slow client before events are dropped.',
      Count,
    ),
    maxPreauthConnectionsPerIp: key(
      'Unauthenticated sockets per address',
      'More are refused at the upgrade with HTTP 503.',
      Count,
    ),
    handshakeTimeoutMs: key('Handshake timeout', 'Milliseconds a socket has to complete connect.', Ms),
    maxPreauthQueuedFrames: key('Frames queued during connect', 'More closes the socket (1008).', Count),
    pingIntervalMs: key('Ping interval', 'Milliseconds between keep-alive pings.', Ms),
    pongTimeoutMs: key(
      'Pong timeout',
      'Milliseconds an unanswered ping is waited for before the socket is cut.',
      Ms,
    ),
    tickIntervalMs: key('Tick interval', 'Milliseconds between tick events.', Ms),
    healthRefreshMs: key('Health refresh', 'Milliseconds between health snapshots and health events.', Ms),
    presenceCoalesceMs: key(
      'Presence coalescing',
      'Milliseconds over which connects and disconnects are sent as one presence event; 0 sends each.',
      Type.Integer({ minimum: 0 }),
    ),
    preauthSliceMs: key(
      'Pre-auth work slice',
      'Milliseconds of unauthenticated work per event-loop turn, so a flood of new sockets waits behind requests.',
      Type.Integer({ minimum: 0, maximum: 1_000 }),
    ),
    idempotencyTtlMs: key(
      'Idempotency window',
      'Milliseconds a request is remembered by its idempotency key.',
      Ms,
    ),
    idempotencyMaxEntries: key('Idempotency entries', 'Completed idempotency records kept at most.', Count),
    attachmentMaxBytes: key('Attachment size', 'Decoded bytes of one message’s attachments.', Count),
    attachmentMaxImageBytes: key('Image size', 'Decoded bytes of one image attachment.', Count),
    mainLaneConcurrency: key('Concurrent turns', 'Agent turns running at once in the main lane.', Count),
    hookMaxBodyBytes: key(
      'Webhook body size',
      'Bytes of one webhook request body; a larger one gets 413.',
      Count,
    ),
    hookBodyTimeoutMs: key(
      'Webhook body timeout',
      'Milliseconds a webhook request body may take to arrive; a slower one gets 408.',
      Ms,
    ),
  },
);

const AgentId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' });

const ModelRef = closed({
  primary: key('Primary model', '`provider/model` tried first.', NonEmpty),
  fallbacks: key(
    'Fallback models',
    '`provider/model` entries tried in order when the primary fails.',
    Strings,
  ),
});
const Model = about(
  'Model',
  '`provider/model`, or an object with a primary model and fallbacks.',
  Type.Union([NonEmpty, ModelRef]),
);

const HHMM = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$' });
const HeartbeatSchema = about(
  'Heartbeat',
  'A periodic main-session turn with the heartbeat prompt and the queued system events.',
  closed({
    every: key(
      'Every',
      'Cadence as a duration (30m, 1h); 0m turns it off.',
      Type.String({ pattern: DURATION_PATTERN }),
    ),
    prompt: key('Prompt', 'Sent verbatim as the beat’s user message.', Type.String({ minLength: 1 })),
    target: key(
      'Target',
      'owner (skipped without a channel to reach the owner), last, none, or a channel id.',
      NonEmpty,
    ),
    to: key('To', 'The recipient when target is a channel id (a chat id).', NonEmpty),
    accountId: key('Account', 'The channel account to send through; default its default account.', NonEmpty),
    session: key('Session', 'Main-key tail of the session beats run in; default the main session.', NonEmpty),
    timeoutSeconds: key('Timeout', 'Seconds a beat may take; default its cadence, at most 600.', Count),
    activeHours: section('Active hours', 'Scheduled beats outside this local window are skipped.', {
      start: key('Start', 'HH:MM, local time.', HHMM),
      end: key('End', 'HH:MM (24:00 for midnight), local time.', HHMM),
      timezone: key('Time zone', 'IANA time zone; default the host’s.', NonEmpty),
    }),
  }),
);

const AgentSchema = closed({
  id: about('Id', 'Letters, digits, `_` and `-`; session keys are `agent:<id>:…`.', AgentId),
  name: key('Name', 'Display name.', NonEmpty),
  default: key('Default agent', 'Answers whatever names no agent; else the first agent does.', Bool),
  model: opt(Model),
  workspace: key('Workspace', 'The agent’s workspace directory.', NonEmpty),
  systemPrompt: key('System prompt', 'Sent before every conversation with this agent.', Type.String()),
  identity: section('Identity', 'How clients show the agent.', {
    name: key('Name', 'Display name.', NonEmpty),
    theme: key('Theme', 'A word or two on the agent’s persona.', NonEmpty),
    emoji: key('Emoji', 'Shown beside its name.', NonEmpty),
    avatar: key('Avatar', 'Image URL or data URL.', NonEmpty),
  }),
  heartbeat: opt(HeartbeatSchema),
  tools: AgentToolsSchema,
});

/** `tools.exec`'s approval policy (OpenClaw's keys): which host commands need an operator (docs/approvals.md). */
const EXEC_APPROVAL_KEYS: Record<string, TSchema> = {
  mode: key(
    'Mode',
    'deny, allowlist (run only allowlisted commands), ask (ask an operator on a miss; the default), auto (as ask), full (run everything). Not with security/ask.',
    oneOf(EXEC_MODES),
  ),
  security: key('Security', 'Legacy pair with ask: deny, allowlist (default) or full.', oneOf(EXEC_SECURITY)),
  ask: key('Ask', 'Legacy pair with security: off, on-miss (default) or always.', oneOf(EXEC_ASK)),
  safeBins: key(
    'Safe bins',
    'Stdin-only filters that run in allowlist mode without an entry; default cut, uniq, head, tail, tr, wc.',
    Strings,
  ),
  safeBinTrustedDirs: key(
    'Safe bin directories',
    'Directories besides /bin and /usr/bin a safe bin may resolve from.',
    Strings,
  ),
  safeBinProfiles: key(
    'Safe bin profiles',
    'Argument policy of a custom safe bin, by name.',
    Type.Record(
      NonEmpty,
      closed({
        minPositional: key(
          'Fewest operands',
          'Positional arguments it needs at least.',
          Type.Integer({ minimum: 0 }),
        ),
        maxPositional: key(
          'Most operands',
          'Positional arguments it takes at most.',
          Type.Integer({ minimum: 0 }),
        ),
        allowedValueFlags: key(
          'Flags with a value',
          'Flags that take the next argument as their value.',
          Strings,
        ),
        deniedFlags: key('Refused flags', 'Flags that make the invocation unsafe.', Strings),
      }),
    ),
  ),
  grantExpiryDays: key(
    'Standing grant lifetime',
    'Days an Always-allow grant for an automation lives; default until revoked.',
    Type.Integer({ minimum: 1, maximum: 3650 }),
  ),
};

const ProviderSchema = closed({
  baseUrl: key(
    'Base URL',
    'Endpoint (OpenAI-compatible or Anthropic); built in for well-known ids.',
    NonEmpty,
  ),
  apiKey: key('API key', 'Prefer an `env:NAME` or `file:/path` reference.', NonEmpty),
  api: key(
    'API',
    'Wire format; inferred from the id when absent.',
    oneOf(['openai-completions', 'anthropic-messages']),
  ),
  models: key(
    'Models',
    'Models this provider offers, listed by models.list.',
    Type.Array(
      closed({
        id: about('Id', 'The provider’s model id.', NonEmpty),
        name: key('Name', 'Display name.', NonEmpty),
        contextWindow: key('Context window', 'Tokens the model reads at most.', Type.Integer({ minimum: 1 })),
        cost: section('Price', 'USD per million tokens, for usage reports.', {
          input: key('Input', 'USD per million input tokens.', Price),
          output: key('Output', 'USD per million output tokens.', Price),
          cacheRead: key('Cache read', 'USD per million cached input tokens read.', Price),
          cacheWrite: key('Cache write', 'USD per million input tokens written to the cache.', Price),
        }),
      }),
    ),
  ),
});

/** OpenClaw's route binding; an `agentId` naming no configured agent is refused by `buildConfig`. */
const BindingSchema = closed({
  agentId: about('Agent', 'The agent that answers; it must be configured.', AgentId),
  comment: key('Comment', 'Free text, ignored.', Type.String()),
  type: key('Type', 'Only `route` bindings exist here.', Type.Literal('route')),
  match: about(
    'Match',
    'Every field set here must match the inbound message.',
    closed({
      channel: about('Channel', 'Channel id: discord, slack, telegram, …', NonEmpty),
      accountId: key('Account', 'One account, or `*` for any; absent means the default account.', NonEmpty),
      peer: section('Peer', 'A direct peer, group or channel; id `*` matches every peer of the kind.', {
        kind: about('Kind', 'direct, group or channel.', oneOf(PEER_KINDS)),
        id: about('Id', 'The peer’s id on the channel.', NonEmpty),
      }),
      guildId: key('Guild', 'Discord guild id.', NonEmpty),
      teamId: key('Team', 'Slack team id.', NonEmpty),
      roles: key('Roles', 'Discord role ids; the sender must hold one.', Strings),
    }),
  ),
  session: section('Session', 'Overrides of session.dmScope / groupScope for what this binding routes.', {
    dmScope: key('Direct messages', 'How direct messages map to sessions.', oneOf(DM_SCOPES)),
    groupScope: key('Groups', 'How groups and channels map to sessions.', oneOf(GROUP_SCOPES)),
  }),
});

const HookMappingSchema = closed({
  id: key('Id', 'Names the mapping in hooks.status and logs; default mapping-<n>.', NonEmpty),
  match: section('Match', 'Both must match when set; neither set matches every other subpath.', {
    path: key('Path', 'The subpath after hooks.path (`github` for /hooks/github).', NonEmpty),
    source: key('Source', 'The payload’s string `source` field, exactly.', NonEmpty),
  }),
  action: key('Action', 'agent (an agent turn, the default) or wake (a system event).', oneOf(HOOK_ACTIONS)),
  wakeMode: key(
    'Wake mode',
    'now (the default) runs the heartbeat at once; next-heartbeat waits for the scheduled one.',
    oneOf(HOOK_WAKE_MODES),
  ),
  name: key('Name', 'The run’s label (a template); default Hook.', Type.String()),
  agentId: key(
    'Agent',
    'The agent that answers; it must be configured. Default: the default agent.',
    AgentId,
  ),
  sessionKey: key(
    'Session key',
    'Logical session key, static or a template; templates need hooks.allowedSessionKeyPrefixes.',
    NonEmpty,
  ),
  sessionMode: key(
    'Session mode',
    'isolated (a fresh session per run, the default) or persistent (the session key’s session).',
    oneOf(HOOK_SESSION_MODES),
  ),
  messageTemplate: key('Message', 'Agent input, e.g. `New issue: {{payload.title}}`.', Type.String()),
  textTemplate: key('Text', 'Wake text, e.g. `Build {{payload.status}}`.', Type.String()),
  deliver: key('Announce', 'Queue the run’s result for the agent’s main session (default true).', Bool),
  timeoutSeconds: key('Timeout', 'Seconds the agent turn may take.', Count),
});

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];
const THEMES = [
  'claw',
  'knot',
  'dash',
  'absolutely',
  'tide',
  'beacon',
  'phosphor',
  'crt',
  'manuscript',
  'rose',
  'miami',
  'custom',
];

/** The config file (`clawgate.json`, JSON5). Every object is closed so a misspelt key is named, not ignored. */
/**
 * The keys every channel shares (OpenClaw's names): who may talk to the bot and how replies are cut. A channel's
 * own block spreads them beside its own keys, at the root and in each `accounts.<id>` entry.
 */
export const CHANNEL_ACCESS_KEYS = {
  dmPolicy: key(
    'DM policy',
    'pairing (unknown senders get a code to approve; the default), allowlist, open (needs "*" in allowFrom) or disabled.',
    oneOf(DM_POLICIES),
  ),
  allowFrom: key('Allowed senders', 'Sender ids that may DM the bot; "*" for anyone.', Type.Array(NonEmpty)),
  groupPolicy: key(
    'Group policy',
    'allowlist (the default: listed groups and senders only), open or disabled.',
    oneOf(GROUP_POLICIES),
  ),
  groupAllowFrom: key(
    'Allowed group senders',
    'Sender ids allowed in groups; unset: allowFrom (never the pairing approvals).',
    Type.Array(NonEmpty),
  ),
  groups: key(
    'Groups',
    'By group id, "*" for every group: listing groups makes them an allowlist.',
    Type.Record(
      Type.String(),
      closed({
        enabled: key('Enabled', 'false ignores the group.', Bool),
        requireMention: key('Require mention', 'Answer only when the bot is mentioned or replied to.', Bool),
        groupPolicy: key('Group policy', 'Overrides groupPolicy for this group.', oneOf(GROUP_POLICIES)),
        allowFrom: key(
          'Allowed senders',
          'Senders allowed in this group (overrides groupAllowFrom).',
          Type.Array(NonEmpty),
        ),
      }),
    ),
  ),
};

const WEBHOOK_ACCOUNT_KEYS = {
  name: key('Name', 'Display name of the account.', NonEmpty),
  enabled: key('Enabled', 'false keeps the account configured but stopped.', Bool),
  secret: key(
    'Secret',
    'Shared HMAC-SHA256 secret signing both directions; prefer an env:NAME or file:/path reference.',
    NonEmpty,
  ),
  url: key(
    'Reply URL',
    'Where replies are POSTed, signed like the inbound requests.',
    Type.String({ pattern: '^https?://' }),
  ),
  maxBodyBytes: key('Body size', 'Bytes of one inbound request body; a larger one gets 413.', Count),
  toleranceSeconds: key(
    'Timestamp tolerance',
    'Seconds an inbound X-Clawgate-Timestamp may differ from the gateway’s clock.',
    Count,
  ),
  retries: key(
    'Retries',
    'Extra attempts for a failed reply POST before it is dead-lettered.',
    Type.Integer({ minimum: 0, maximum: 20 }),
  ),
  retryDelayMs: key('Retry delay', 'Milliseconds before the first retry; doubled each time.', Ms),
  retryMaxDelayMs: key('Longest retry delay', 'Milliseconds the back-off grows to at most.', Ms),
  timeoutMs: key('Request timeout', 'Milliseconds one reply POST may take.', Ms),
  textChunkLimit: key(
    'Message length',
    'Characters per reply POST; longer replies are split (default 4000).',
    Count,
  ),
  ...CHANNEL_ACCESS_KEYS,
};

const ChannelsSchema = key(
  'Channels',
  'Messaging networks the gateway talks through, by channel id; a plugin’s channel reads its own block.',
  Type.Object(
    {
      webhook: section(
        'Webhook channel',
        'A generic HTTP channel: signed POST /channels/webhook in, signed POST to url out.',
        {
          ...WEBHOOK_ACCOUNT_KEYS,
          defaultAccount: key(
            'Default account',
            'The account send and cron use when none is named.',
            NonEmpty,
          ),
          accounts: key(
            'Accounts',
            'More accounts by id, each at POST /channels/webhook/<id>; keys as above, over the root ones.',
            Type.Record(Type.String({ pattern: '^[a-zA-Z0-9_-]+$' }), closed(WEBHOOK_ACCOUNT_KEYS)),
          ),
        },
      ),
      telegram: opt(TelegramChannelSchema),
    },
    // Other channels' blocks (a plugin's): their adapter checks them.
    { additionalProperties: Type.Record(Type.String(), Type.Unknown()) },
  ),
);

export const ConfigFileSchema = Type.Object(
  {
    $schema: key('Schema', 'Editor hint; ignored by the gateway.', Type.String()),
    gateway: section('Gateway', 'Port, binding, authentication, TLS, the Control UI and limits.', {
      port: key(
        'Port',
        'HTTP and WebSocket port. Restart to apply.',
        Type.Integer({ minimum: 0, maximum: 65535 }),
      ),
      bind: key(
        'Bind',
        '`loopback`, `lan` or a host address; off-loopback needs auth. Restart to apply.',
        NonEmpty,
      ),
      auth: section('Authentication', 'How clients prove they may connect.', {
        mode: key(
          'Mode',
          'token, password, none (loopback only) or trusted-proxy.',
          oneOf(['token', 'password', 'none', 'trusted-proxy']),
        ),
        token: key('Token', 'Shared token; generated on first start when absent.', Type.String()),
        password: key('Password', 'Shared password for password mode.', Type.String()),
        rateLimit: section('Failed-auth limit', 'Lockout after repeated failures.', {
          maxAttempts: key('Attempts', 'Failures per window before a source is locked out.', Count),
          windowMs: key('Window', 'Milliseconds over which failures are counted.', Ms),
          lockoutMs: key('Lockout', 'Milliseconds a locked-out source is refused.', Ms),
          exemptLoopback: key('Spare loopback', 'Loopback is slowed down instead of locked out.', Bool),
        }),
        allowTailscale: key(
          'Trust Tailscale identity',
          'Tailscale Serve identity headers (verified with tailscale whois) stand in for the secret; default: on with gateway.tailscale.mode serve.',
          Bool,
        ),
        trustedProxy: section('Trusted proxy', 'Identity from an authenticating reverse proxy.', {
          userHeader: key('User header', 'Header naming the authenticated user.', NonEmpty),
          allowUsers: key('Allowed users', 'If set, only these users are accepted.', Strings),
        }),
      }),
      trustedProxies: key(
        'Trusted proxies',
        'Proxy addresses whose forwarding headers are believed.',
        Strings,
      ),
      tailscale: section(
        'Tailscale',
        'Expose the gateway through tailscale serve or funnel. Restart to apply.',
        {
          mode: key(
            'Mode',
            'off, serve (tailnet only) or funnel (public; needs gateway.auth.mode password).',
            oneOf(TAILSCALE_MODES),
          ),
        },
      ),
      tls: section('TLS', 'Serve https and wss. Restart to apply.', {
        enabled: key('Enabled', 'Serve TLS.', Bool),
        certPath: key('Certificate', 'PEM certificate file.', NonEmpty),
        keyPath: key('Key', 'PEM private key file.', NonEmpty),
        autoGenerate: key('Self-signed', 'Generate a self-signed certificate into the state dir.', Bool),
      }),
      controlUi: section('Control UI', 'The browser Control UI the gateway serves. Restart to apply.', {
        enabled: key('Enabled', 'Serve the UI.', Bool),
        root: key('Root', 'Directory of a Control UI build.', NonEmpty),
        basePath: key('Base path', 'URL prefix the UI is served under.', Type.String()),
        allowedOrigins: key(
          'Allowed origins',
          'Browser origins allowed besides same-origin and loopback.',
          Strings,
        ),
      }),
      pairing: section('Pairing', 'How new devices are paired.', {
        autoApproveLoopback: key(
          'Approve loopback',
          'Pair a signed device on direct loopback at once.',
          Bool,
        ),
      }),
      nodes: section(
        'Nodes',
        'Paired nodes: their pairing, command policy and invoke grants. Applied live.',
        {
          pairing: section('Pairing', 'How node devices are paired.', {
            autoApproveLocal: key(
              'Approve local',
              'Pair a signed device on direct loopback without an operator (with gateway.pairing.autoApproveLoopback).',
              Bool,
            ),
          }),
          commands: section('Commands', 'Gateway policy over the commands nodes declare.', {
            allow: key(
              'Allow',
              'Dangerous commands (camera.snap, screen.record, sms.send…) to allow.',
              Strings,
            ),
            deny: key(
              'Deny',
              'Commands never allowed, whatever a node declares or was approved for.',
              Strings,
            ),
          }),
          invokeGrants: key(
            'Invoke grants',
            'Node id (or label) to admin-gated commands (system.run…) that operator.write callers may invoke there.',
            Type.Record(Type.String({ minLength: 1 }), Strings),
          ),
        },
      ),
      reload: section('Reload', 'How edits to the file apply.', {
        mode: key('Mode', 'hybrid (apply valid edits live) or off.', oneOf(['hybrid', 'off'])),
      }),
      http: section('HTTP endpoints', 'Optional HTTP APIs.', {
        endpoints: section('Endpoints', 'Optional HTTP APIs.', {
          chatCompletions: section('Chat completions', 'OpenAI-compatible /v1/chat/completions.', {
            enabled: key('Enabled', 'Serve it, Bearer-authenticated.', Bool),
          }),
        }),
      }),
      limits: LimitsSchema,
      tools: GatewayToolsSchema,
      maintenance: section(
        'Maintenance',
        'The periodic pass that prunes old records and log archives and checkpoints the database. Applied live.',
        {
          enabled: key('Enabled', 'Run the pass; off, nothing is pruned or checkpointed by it.', Bool),
          intervalMs: key('Interval', 'Milliseconds between passes.', Ms),
          runRetention: key(
            'Run retention',
            'How long finished run records are kept: a duration (30d), or false to keep them.',
            Retention,
          ),
          logRetention: key(
            'Log retention',
            'How long rotated log archives are kept after their last line: a duration (14d), or false.',
            Retention,
          ),
          cronRunRetention: key(
            'Automation run history retention',
            'How long cron run-history entries are kept after the run: a duration (7d), or false.',
            Retention,
          ),
          cronRunsPerJob: key(
            'Automation runs kept per job',
            "Each job's newest run-history entries kept (2000); older ones go with their tasks. false: no cap.",
            Type.Union([Count, Type.Literal(false)]),
          ),
          taskRetention: key(
            'Task retention',
            'How long finished background tasks are kept after their last update: a duration (7d), or false.',
            Retention,
          ),
        },
      ),
    }),
    agents: section('Agents', 'The agents that answer, and what they default to.', {
      defaults: section('Agent defaults', 'What an agent without its own setting uses.', {
        model: opt(Model),
        workspace: key('Workspace', 'Default workspace directory.', NonEmpty),
        systemPrompt: key('System prompt', 'Default system prompt.', Type.String()),
        heartbeat: opt(HeartbeatSchema),
      }),
      list: key('Agents', 'Without any, one agent `main` answers.', Type.Array(AgentSchema)),
    }),
    session: section('Sessions', 'How conversations map to session keys.', {
      mainKey: key(
        'Main key',
        'The main session is agent:<id>:<mainKey>.',
        Type.String({ minLength: 1, maxLength: 64 }),
      ),
      scope: key(
        'Scope',
        'per-sender, or global: one session for everything.',
        oneOf(['per-sender', 'global']),
      ),
      dmScope: key('Direct messages', 'How direct messages map to sessions.', oneOf(DM_SCOPES)),
      groupScope: key('Groups', 'How groups and channels map to sessions.', oneOf(GROUP_SCOPES)),
      maintenance: section(
        'Maintenance',
        'What the maintenance pass prunes from session storage. Applied live.',
        {
          mode: key(
            'Mode',
            'enforce (prune) or warn (only log what would be pruned).',
            oneOf(MAINTENANCE_MODES),
          ),
          resetArchiveRetention: key(
            'Reset archive retention',
            'How long a transcript replaced by a reset is kept after it: a duration (30d), or false.',
            Retention,
          ),
        },
      ),
    }),
    bindings: key(
      'Bindings',
      'Routes inbound channel messages to agents; most specific match wins.',
      Type.Array(BindingSchema),
    ),
    models: section('Models', 'LLM providers and their models.', {
      providers: key(
        'Providers',
        'By id; the offline echo provider needs no entry.',
        Type.Record(Type.String(), ProviderSchema),
      ),
      echo: section('Echo provider', 'The built-in offline provider.', {
        wordDelayMs: key(
          'Word delay',
          'Milliseconds between streamed words.',
          Type.Integer({ minimum: 0, maximum: 10_000 }),
        ),
      }),
    }),
    logging: section('Logging', 'Log level and the JSON-lines log file.', {
      level: key('Level', 'debug, info, warn or error.', oneOf(LOG_LEVELS)),
      file: key('File', 'Log file path; default <state>/logs/gateway.log.', NonEmpty),
      maxFileBytes: key(
        'Rotate at',
        'Bytes at which the file is rotated.',
        Type.Integer({ minimum: LOG_MAX_FILE_BYTES_MIN }),
      ),
      maxFiles: key(
        'Archives kept',
        'Rotated files kept.',
        Type.Integer({ minimum: 1, maximum: LOG_MAX_FILES_MAX }),
      ),
    }),
    discovery: section('Discovery', 'How clients on the network find the gateway.', {
      mdns: section('mDNS', 'Local-network advertisement (_openclaw-gw._tcp). Applied live.', {
        mode: key(
          'Mode',
          'off, minimal (the core TXT keys) or full (adds sshPort, cliPath, tailnetDns).',
          oneOf(DISCOVERY_MODES),
        ),
      }),
      wideArea: section(
        'Wide-area DNS-SD',
        'A unicast DNS-SD zone file for cross-network discovery. Restart to apply.',
        {
          domain: key(
            'Domain',
            'DNS-SD domain (openclaw.internal); the zone is written to <state>/dns/<domain>.db.',
            Type.String({ pattern: DNS_NAME_PATTERN }),
          ),
        },
      ),
    }),
    tools: toolsSchema(EXEC_APPROVAL_KEYS),
    mcp: McpSchema,
    cron: section('Automations', 'Scheduled jobs (cron) and the heartbeats they drive.', {
      enabled: key('Enabled', 'Run stored jobs; false keeps them and runs none, heartbeats included.', Bool),
    }),
    update: section('Updates', 'The daily check for a newer clawgate release; it never installs anything.', {
      channel: key(
        'Channel',
        'stable, beta or dev; beta and dev also report prereleases.',
        oneOf(UPDATE_CHANNELS),
      ),
      checkOnStart: key(
        'Check for updates',
        'Ask the registry shortly after start-up and then daily; false sends no request at all.',
        Bool,
      ),
      registryUrl: key(
        'Registry URL',
        'An npm-registry document whose `version` is the newest release.',
        Type.String({ pattern: '^https?://' }),
      ),
    }),
    hooks: section(
      'Webhooks',
      'HTTP endpoints that wake an agent or run a turn (POST <path>/wake, /agent).',
      {
        enabled: key('Enabled', 'Serve the webhook endpoints; needs hooks.token.', Bool),
        token: key(
          'Token',
          'Shared secret senders present as Bearer or x-openclaw-token; not the gateway token.',
          Type.String(),
        ),
        path: key('Path', 'Base path of the endpoints; default /hooks; `/` is refused.', NonEmpty),
        allowedAgentIds: key(
          'Allowed agents',
          'Agents a webhook may run; absent or `*`: all; empty: none.',
          Type.Array(NonEmpty),
        ),
        defaultSessionKey: key(
          'Default session key',
          'Logical key of agent runs that name none; otherwise a fresh hook:<uuid>.',
          NonEmpty,
        ),
        allowRequestSessionKey: key(
          'Caller session keys',
          'Accept a sessionKey from the request body (and from mapping templates).',
          Bool,
        ),
        allowedSessionKeyPrefixes: key(
          'Session key prefixes',
          'Case-insensitive prefixes every hook session key must start with.',
          Type.Array(Type.String()),
        ),
        mappings: key(
          'Mappings',
          'POST <path>/<name> turned into a wake or agent action; the first match wins.',
          Type.Array(HookMappingSchema),
        ),
      },
    ),
    channels: ChannelsSchema,
    plugins: section(
      'Plugins',
      'OpenClaw plugins (openclaw.plugin.json) loaded from plugins.load.paths; see docs/plugins.md. Applied live.',
      {
        enabled: key('Enabled', 'Load plugins at all; false loads none.', Bool),
        allow: key('Allow', 'Only these plugin ids load; empty: every plugin found.', Strings),
        deny: key('Deny', 'These plugin ids never load; beats allow.', Strings),
        load: section('Loading', 'Where plugins are found and how long one may take to load.', {
          paths: key(
            'Paths',
            'Plugin folders, or folders of plugin folders; relative paths are from the config file.',
            Strings,
          ),
          timeoutMs: key(
            'Load timeout',
            'Milliseconds one plugin has to load, register and start its services; then it is disabled.',
            Ms,
          ),
        }),
        entries: key(
          'Entries',
          'Per plugin id: enabled, and config (checked against the plugin’s configSchema).',
          Type.Record(
            NonEmpty,
            closed({
              enabled: key('Enabled', 'false keeps this plugin from loading.', Bool),
              config: key(
                'Config',
                'The plugin’s own settings, as its manifest configSchema describes them.',
                Type.Record(Type.String(), Type.Unknown()),
              ),
            }),
          ),
        ),
      },
    ),
    memory: section(
      'Memory',
      'Keyword search (SQLite FTS5) over each agent’s memory files and the session transcripts. Applied live.',
      {
        search: section('Memory search', 'What memory_search, memory_get and memory.search use.', {
          enabled: key(
            'Enabled',
            'Index and search memory; false turns the memory tools and methods off.',
            Bool,
          ),
          sources: key(
            'Sources',
            'memory (MEMORY.md, USER.md, memory/**/*.md) and sessions (transcripts, when session memory is on).',
            Type.Array(oneOf(MEMORY_SOURCES)),
          ),
          rememberAcrossConversations: key(
            'Remember across conversations',
            'Keep transcripts indexed; default on unless direct messages are isolated (session.dmScope).',
            Bool,
          ),
          experimental: section('Experimental', 'Features that may change.', {
            sessionMemory: key(
              'Session memory',
              'Index transcripts and let search return them when sources lists sessions.',
              Bool,
            ),
          }),
          query: section('Query', 'Result defaults of memory_search and memory.search.', {
            maxResults: key('Results', 'Hits a memory_search returns without its own maxResults.', MaxHits),
            minScore: key(
              'Minimum score',
              '0–1; weaker hits are left out (a search with none above it keeps its keyword matches).',
              Type.Number({ minimum: 0, maximum: 1 }),
            ),
          }),
        }),
        citations: key(
          'Citations',
          'auto (not in groups), on or off: a Source: path#line footer on memory_search snippets.',
          oneOf(MEMORY_CITATIONS),
        ),
      },
    ),
    approvals: section('Approvals', 'Operator approval prompts.', {
      exec: section('Exec approvals', 'Prompts for host commands.', {
        timeoutMs: key(
          'Timeout',
          'Milliseconds a prompt waits for a decision before its askFallback applies; default 30 minutes.',
          Ms,
        ),
      }),
    }),
    // OpenClaw's Control UI keeps its operator's display preferences here; the gateway only stores them.
    ui: section(
      'Control UI appearance',
      'Display preferences the Control UI saves; no effect on the gateway.',
      {
        seamColor: key('Accent color', '#RRGGBB accent for UI surfaces.', Hex),
        prefs: section('Preferences', 'The Control UI’s own preferences (theme, chat display).', {
          theme: key('Theme', 'Color theme.', oneOf(THEMES)),
          themeMode: key('Mode', 'light, dark or system.', oneOf(['light', 'dark', 'system'])),
          accent: key(
            'Accent',
            '#RRGGBB, or `theme` for the theme’s own.',
            Type.Union([Type.Literal('theme'), Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })]),
          ),
          locale: key('Language', 'UI locale.', Type.String({ maxLength: 20 })),
          chatShowThinking: key('Show thinking', 'Show reasoning in chat.', Bool),
          chatShowToolCalls: key('Show tool calls', 'Show tool calls in chat.', Bool),
          chatPersistCommentary: key('Keep commentary', 'Keep interim commentary in chat.', Bool),
          chatSendShortcut: key('Send with', 'enter or modifier-enter.', oneOf(['enter', 'modifier-enter'])),
          chatFollowUpMode: key(
            'Follow-ups',
            'steer or queue a message sent during a turn.',
            oneOf(['steer', 'queue']),
          ),
          sidebarEntries: key('Sidebar', 'Sidebar entries, in order.', Type.Array(Type.String())),
        }),
      },
    ),
  },
  { additionalProperties: false, title: 'clawgate config' },
);
