import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentTool } from '../agents/tools/tool-types.ts';
import type { GatewayConfig } from '../config/types.ts';
import type { ErrorShape } from '../protocol/gateway-error.ts';
import type { OperatorScope } from '../server/authz/scopes.ts';
import type { PluginChannel } from './channel-types.ts';

/**
 * clawgate's plugin API: the subset of OpenClaw's `OpenClawPluginApi` that clawgate implements, plus a few
 * clawgate-native members (`apiVersion`, `store`, `broadcast`, `registerGatewayEvent`, `chat`). Types only: a
 * plugin written against OpenClaw's SDK gets this object in `register(api)`. See docs/plugins.md.
 *
 * The version moves when a member is removed or changes meaning; added members do not move it.
 */
export const PLUGIN_API_VERSION = 1;

/** OpenClaw's `PluginLogger` (a message per call), with clawgate's optional structured fields. */
export type PluginLogger = {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
};

/** JSON values, what the store keeps and events carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The plugin's own durable key/value namespace in the gateway's database (never another plugin's keys, never
 * sessions). Values are JSON; writes are durable once the promise resolves.
 */
export type PluginStore = {
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  set(key: string, value: JsonValue): Promise<void>;
  delete(key: string): Promise<void>;
};

/** A turn run for a plugin through the chat pipeline (what `chat.send` runs). */
export type PluginTurnInput = {
  /** `main`, a bare tail or a full `agent:<id>:…` key, as `chat.send` takes it. */
  sessionKey: string;
  message: string;
  /** Default: the session key's agent, else the default agent. */
  agentId?: string;
  /** Default: a fresh one; the same key answers the turn already run instead of running a second. */
  idempotencyKey?: string;
  timeoutMs?: number;
  /** The reply's text as it streams. */
  onDelta?: (delta: string) => void;
};

export type PluginTurnResult = {
  runId: string;
  sessionKey: string;
  status: 'ok' | 'error' | 'aborted';
  /** The assistant's reply (partial after an abort or error). */
  text: string;
  errorMessage?: string;
};

/** OpenClaw's `RespondFn`: answers the request once (`ok: false` with an error shape refuses it). */
export type PluginRespond = (
  ok: boolean,
  payload?: unknown,
  error?: Partial<ErrorShape> & { message: string },
) => void;

/** Who called a plugin's gateway method: identity and grants, never the socket. */
export type PluginGatewayClient = {
  connId: string;
  role: 'operator' | 'node';
  scopes: readonly string[];
  deviceId?: string;
  connect: { client?: { id: string; mode: string; version: string; platform: string } };
};

/** OpenClaw's `GatewayRequestHandlerOptions`, the parts clawgate gives a plugin. */
export type PluginGatewayRequest = {
  req: { type: 'req'; id: string; method: string; params: Record<string, unknown> };
  params: Record<string, unknown>;
  client: PluginGatewayClient;
  respond: PluginRespond;
  /** OpenClaw passes its internal request context here; clawgate passes an empty object. */
  context: Record<string, never>;
  isWebchatConnect: () => boolean;
};

/**
 * OpenClaw's `GatewayRequestHandler`: answers through `respond`. clawgate also takes a returned value as the
 * answer when `respond` was never called.
 */
export type PluginGatewayMethodHandler = (request: PluginGatewayRequest) => unknown;

export type PluginGatewayMethodOptions = {
  /** Default `operator.admin`; `config.*`, `exec.approvals.*`, `wizard.*`, `update.*` are always admin. */
  scope?: OperatorScope;
  /** OpenClaw's; accepted and ignored (clawgate has no authenticated profiles). */
  profileAccess?: 'independent' | 'required';
};

/** OpenClaw's `OpenClawPluginHttpRouteParams` (without WebSocket upgrades). */
export type PluginHttpRoute = {
  /** `/<plugin-id>/…` or `/plugins/<plugin-id>/…`: a plugin's routes live under its own prefix. */
  path: string;
  /** `gateway` (the default): the gateway's Bearer secret; `plugin`: the plugin checks requests itself. */
  auth?: 'gateway' | 'plugin';
  /** `exact` (default) or `prefix` (the path and everything under it). */
  match?: 'exact' | 'prefix';
  /** Returns `false` when it did not handle the request (answered 404). */
  handler: (req: IncomingMessage, res: ServerResponse) => boolean | undefined | Promise<boolean | undefined>;
};

/** What a plugin service's `start`/`stop` get (OpenClaw's `OpenClawPluginServiceContext` subset). */
export type PluginServiceContext = {
  config: GatewayConfig;
  stateDir: string;
  logger: PluginLogger;
  /** OpenClaw's service event emitter: `plugin.<id>.<event>`, declared with its scope on first use. */
  gatewayEvents: {
    emit(event: string, payload: JsonValue, options: { scope: PluginEventScope }): void;
  };
  serviceHealth: { reportFailure(error: unknown): void; clearFailure(): void };
};

export type PluginService = {
  id: string;
  start(ctx: PluginServiceContext): void | Promise<void>;
  stop?(ctx: PluginServiceContext): void | Promise<void>;
};

/** Scopes a plugin's events may require (OpenClaw's rule: never "everyone"). */
export type PluginEventScope = 'operator.read' | 'operator.write' | 'operator.admin';

/** What a tool factory sees of the turn (OpenClaw's `OpenClawPluginToolContext` subset). */
export type PluginToolContext = {
  config: GatewayConfig;
  agentId: string;
  sessionKey: string;
  runId: string;
  workspaceDir: string;
};

/** OpenClaw's tool factory: built per turn, `null` to opt out. */
export type PluginToolFactory = (ctx: PluginToolContext) => AgentTool | AgentTool[] | null | undefined;

export type PluginToolOptions = { name?: string; names?: string[]; optional?: boolean };

/** `api.registerChannel`'s argument: OpenClaw's `{ plugin }` registration, or the channel plugin itself. */
export type PluginChannelRegistration = { plugin: PluginChannel } | PluginChannel;

/** clawgate's runtime helpers (`api.runtime`); any other OpenClaw runtime helper throws, naming itself. */
export type PluginRuntime = { version: string; apiVersion: number };

export type ClawgatePluginApi = {
  readonly id: string;
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** The entry file. */
  readonly source: string;
  readonly rootDir: string;
  /** Always `full`: clawgate loads a plugin only to run it. */
  readonly registrationMode: 'full';
  /** The gateway's config when the plugin loaded (read it; changes reload the plugin). */
  readonly config: GatewayConfig;
  /** `plugins.entries.<id>.config`, validated against the manifest's `configSchema`. */
  readonly pluginConfig: Record<string, unknown>;
  readonly logger: PluginLogger;
  readonly runtime: PluginRuntime;
  resolvePath(input: string): string;

  registerGatewayMethod(
    name: string,
    handler: PluginGatewayMethodHandler,
    options?: PluginGatewayMethodOptions,
  ): void;
  registerHttpRoute(route: PluginHttpRoute): void;
  registerService(service: PluginService): void;
  registerTool(
    tool: AgentTool | PluginToolFactory | { contextVersion: 2; create: PluginToolFactory },
    options?: PluginToolOptions,
  ): void;
  registerChannel(registration: PluginChannelRegistration): void;
  /** OpenClaw's CLI registrar: recorded for `plugins.inspect`, not run (clawgate's CLI takes no plugin commands). */
  registerCli(registrar: unknown, options?: { descriptors?: { name: string }[]; commands?: string[] }): void;

  /** clawgate: the API version this gateway speaks (`PLUGIN_API_VERSION`). */
  readonly apiVersion: number;
  /** clawgate: the plugin's own key/value namespace. */
  readonly store: PluginStore;
  /** clawgate: declares `plugin.<id>.<name>` with the scope a client needs to receive it. */
  registerGatewayEvent(name: string, options: { scope: PluginEventScope; droppable?: boolean }): void;
  /** clawgate: sends a declared event to every client holding its scope. */
  broadcast(name: string, payload: JsonValue): void;
  /** clawgate: the chat pipeline's inbound entry (a turn in a session, as `chat.send` runs one). */
  readonly chat: { run(input: PluginTurnInput): Promise<PluginTurnResult> };
};

/** What `definePluginEntry` returns and the loader reads from a plugin's default export. */
export type PluginEntryDefinition = {
  id: string;
  name?: string;
  description?: string;
  version?: string;
  configSchema?: unknown;
  register(api: ClawgatePluginApi): void | Promise<void>;
};
