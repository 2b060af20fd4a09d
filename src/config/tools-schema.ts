import { type TSchema, Type } from 'typebox';
import { TOOL_PROFILES } from './tools-types.ts';

/**
 * The `tools` section, `agents.list[].tools` and `gateway.tools` (OpenClaw's keys clawgate implements), kept here so
 * the tool policy's schema reads in one place; schema.ts places them.
 */

const about = <T extends TSchema>(title: string, description: string, schema: T) =>
  ({ ...schema, title, description }) as T;
const closed = (properties: Record<string, TSchema>) =>
  Type.Object(properties, { additionalProperties: false });
const key = <T extends TSchema>(title: string, description: string, schema: T) =>
  Type.Optional(about(title, description, schema));
const section = (title: string, description: string, properties: Record<string, TSchema>) =>
  Type.Optional(about(title, description, closed(properties)));
const Names = Type.Array(Type.String({ minLength: 1 }));
const Bool = Type.Boolean();

const policy = {
  profile: key(
    'Profile',
    'Base allowlist: minimal, coding, messaging or full (unset: every core tool).',
    Type.Union(TOOL_PROFILES.map((id) => Type.Literal(id))),
  ),
  allow: key('Allow', 'Tool names, * globs, group:* groups or plugin ids the run may call.', Names),
  alsoAllow: key('Also allow', 'Added to the profile’s allowlist (not together with allow).', Names),
  deny: key('Deny', 'Tool names, globs, groups or plugin ids never offered; deny wins.', Names),
};

const fs = section('Files', 'The read, write and edit tools.', {
  workspaceOnly: key(
    'Workspace only',
    'Confine file paths to the agent workspace (default true); the state dir and config file are refused either way.',
    Bool,
  ),
});

const execLimits = {
  timeoutSeconds: key(
    'Timeout',
    'Seconds a command may run before it is killed (default 1800); 0 disables.',
    Type.Integer({ minimum: 0 }),
  ),
  backgroundMs: key(
    'Background after',
    'Milliseconds before a running command is moved to the background (default 10000).',
    Type.Integer({ minimum: 10, maximum: 120_000 }),
  ),
  cleanupMs: key(
    'Keep finished',
    'Milliseconds a finished background session stays readable by process (default 1800000).',
    Type.Integer({ minimum: 60_000, maximum: 10_800_000 }),
  ),
};
const exec = section('Exec', 'The shell tool: limits of one command.', execLimits);

/** The `tools` section; `execApproval` are the approval keys of `tools.exec` (schema.ts), beside the exec limits. */
export const toolsSchema = (execApproval: Record<string, TSchema>) =>
  section('Tools', 'Which tools agents may call, and the built-in tools’ limits.', {
    ...policy,
    maxSteps: key(
      'Model steps per turn',
      'Model calls one turn may make while it calls tools (default 32; clawgate’s own key).',
      Type.Integer({ minimum: 1, maximum: 1000 }),
    ),
    fs,
    exec: section(
      'Exec',
      'The shell tool: limits of one command, and which commands need an operator’s approval (docs/approvals.md).',
      { ...execLimits, ...execApproval },
    ),
    web: section('Web', 'The web tools.', {
      fetch: section('Web fetch', 'The web_fetch tool: caps and private-network policy.', {
        enabled: key('Enabled', 'Offer web_fetch (default true).', Bool),
        maxChars: key(
          'Characters',
          'Characters returned by default (default 20000).',
          Type.Integer({ minimum: 100 }),
        ),
        maxCharsCap: key(
          'Character cap',
          'Most characters a call may ask for (default 20000).',
          Type.Integer({ minimum: 100 }),
        ),
        maxResponseBytes: key(
          'Response bytes',
          'Bytes downloaded at most (default 750000, 32000–10000000).',
          Type.Integer({ minimum: 1 }),
        ),
        timeoutSeconds: key(
          'Timeout',
          'Seconds one fetch may take (default 30).',
          Type.Integer({ minimum: 1 }),
        ),
        maxRedirects: key(
          'Redirects',
          'Redirects followed at most (default 3).',
          Type.Integer({ minimum: 0 }),
        ),
        userAgent: key('User agent', 'User-Agent header sent.', Type.String({ minLength: 1 })),
        ssrfPolicy: section('Private network', 'Which internal targets web_fetch may reach.', {
          dangerouslyAllowPrivateNetwork: key(
            'Allow private network',
            'Allow loopback, private and link-local targets (default false).',
            Bool,
          ),
          allowedHostnames: key(
            'Allowed hosts',
            'Exact hosts allowed even when they resolve privately.',
            Names,
          ),
          blockedHostnames: key('Blocked hosts', 'Hosts (and *.suffix) always refused.', Names),
          allowRfc2544BenchmarkRange: key('Allow 198.18.0.0/15', 'For trusted fake-IP proxies.', Bool),
          allowIpv6UniqueLocalRange: key('Allow fc00::/7', 'For trusted fake-IP proxies.', Bool),
        }),
      }),
    }),
  });

export const AgentToolsSchema = section('Tools', 'This agent’s tool policy, applied after the global one.', {
  ...policy,
  fs,
  exec,
});

export const GatewayToolsSchema = section(
  'Tool invocation',
  'What POST /tools/invoke and tools.invoke refuse beyond tool policy.',
  {
    allow: key('Allow', 'Tools taken out of the default HTTP deny list (exec, apply_patch, …).', Names),
    deny: key('Deny', 'More tools refused over tools.invoke.', Names),
  },
);
