import { availableParallelism } from 'node:os';

/**
 * Every limit the gateway enforces, in one place. Values match OpenClaw's (protocol.md §7) so clients tuned
 * against it behave the same here; each one is overridable under `gateway.limits.*` in the config file.
 */

/** A pre-hello frame this large is an amplification attempt, not a connect request. */
export const MAX_PREAUTH_PAYLOAD_BYTES = 64 * 1024;
/** Advertised as `policy.maxPayload`; larger frames close the socket 1009. */
export const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
/** Advertised as `policy.maxBufferedBytes`; past it droppable events are skipped and others close 1008. */
export const MAX_BUFFERED_BYTES = 50 * 1024 * 1024;
/** Unauthenticated sockets one source may hold; the next upgrade gets HTTP 503. */
export const MAX_PREAUTH_CONNECTIONS_PER_IP = 32;
/** A socket that has not completed `connect` by then must not keep holding a pre-auth slot. */
export const HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * Work for unauthenticated sockets (completing upgrades, answering `connect`, handshake-timeout closes) runs in
 * slices of at most this long, one per event-loop turn, so a flood of them cannot stall authenticated requests.
 * clawgate's own limit; 0 runs that work at once.
 */
export const PREAUTH_SLICE_MS = 2;
/** Frames a client may send before its `connect` is answered. */
export const MAX_PREAUTH_QUEUED_FRAMES = 15;
/** Sockets are pinged from one sweep at this interval. */
export const PING_INTERVAL_MS = 25_000;
/** A socket that has not answered a ping by the next sweep (and this long) is terminated. */
export const PONG_TIMEOUT_MS = 25_000;
/** `tick` event cadence, advertised as `policy.tickIntervalMs`; clients close 4000 after two missed ticks. */
export const TICK_INTERVAL_MS = 30_000;
/** How often the cached health snapshot is rebuilt and broadcast. */
export const HEALTH_REFRESH_MS = 60_000;
/**
 * Presence changes within this window of a `presence` broadcast are sent as one at its end (the first change
 * after a quiet window goes at once). clawgate's own limit: 0 sends one broadcast per change, O(N²) in a burst.
 */
export const PRESENCE_COALESCE_MS = 250;
/** How long a completed side-effecting request's result is remembered by idempotency key. */
export const IDEMPOTENCY_TTL_MS = 300_000;
/** Completed entries kept at most; running ones are never evicted. */
export const IDEMPOTENCY_MAX_ENTRIES = 1_000;
/** `logs.tail` reads at most this much per call. */
export const LOGS_TAIL_MAX_BYTES = 1_000_000;
/** The log file is rotated at this size (`logging.maxFileBytes`), keeping this many archives (`logging.maxFiles`). */
export const LOG_MAX_FILE_BYTES = 104_857_600;
export const LOG_MAX_FILES = 5;
/** Bounds of those settings: below a kilobyte a rotation header and a line barely fit. */
export const LOG_MAX_FILE_BYTES_MIN = 1024;
export const LOG_MAX_FILES_MAX = 100;
/**
 * The maintenance pass (clawgate's own cadence): often enough that each pass finds few rows due, rarely enough
 * that an idle gateway does almost nothing.
 */
export const MAINTENANCE_INTERVAL_MS = 600_000;
/** The first pass waits this long after start-up (or one interval, if shorter): never on the start-up path. */
export const MAINTENANCE_FIRST_PASS_DELAY_MS = 30_000;
const DAY_MS = 86_400_000;
/** Finished run records are kept this long (`gateway.maintenance.runRetention`). */
export const RUN_RETENTION_MS = 30 * DAY_MS;
/**
 * Transcripts replaced by a reset are kept this long after it (`session.maintenance.resetArchiveRetention`).
 * OpenClaw keeps them until its disk budget evicts them; 30 days keeps every message of the last 30 days in the
 * usage reports while bounding the file.
 */
export const RESET_ARCHIVE_RETENTION_MS = 30 * DAY_MS;
/** Rotated log archives are kept this long after their last line (`gateway.maintenance.logRetention`). */
export const LOG_RETENTION_MS = 14 * DAY_MS;
/** Cron run history and finished tasks are kept this long, and this many entries per job: OpenClaw's figures. */
export const CRON_RUN_RETENTION_MS = 7 * DAY_MS;
export const CRON_RUNS_PER_JOB = 2_000;
export const TASK_RETENTION_MS = 7 * DAY_MS;
/** Retry hint sent with `UNAVAILABLE` while start-up sidecars finish (connect and ⏳ methods). */
export const STARTUP_RETRY_AFTER_MS = 500;
/** Consecutive wrong-role calls tolerated before the socket is closed 1008. */
export const MAX_UNAUTHORIZED_ROLE_CALLS = 10;
/** Allowed skew between a device signature's `signedAt` and the server clock. */
export const DEVICE_SIGNATURE_SKEW_MS = 120_000;
/** Failed-auth limiter: failures per window before lockout. */
export const AUTH_RATE_LIMIT_MAX_ATTEMPTS = 10;
export const AUTH_RATE_LIMIT_WINDOW_MS = 60_000;
export const AUTH_RATE_LIMIT_LOCKOUT_MS = 300_000;
/** Loopback is never locked out; instead each failure delays the answer, growing from/to these bounds. */
export const AUTH_LOOPBACK_DELAY_MIN_MS = 250;
export const AUTH_LOOPBACK_DELAY_MAX_MS = 5_000;
/** Attachments of one chat message (decoded bytes), advertised as `policy.attachments` (OpenClaw's values). */
export const ATTACHMENT_MAX_BYTES = 19_464_192;
export const ATTACHMENT_MAX_IMAGE_BYTES = 6_291_456;
/** A webhook body larger than this is refused (413) without being read: OpenClaw's 256 KiB. */
export const HOOK_MAX_BODY_BYTES = 262_144;
/** A webhook body not fully received by then is answered 408: OpenClaw's 30 s. */
export const HOOK_BODY_TIMEOUT_MS = 30_000;
/**
 * Webhooks have a failed-auth limiter of their own (OpenClaw's numbers): 20 wrong or missing tokens in 60 s lock
 * the source out for 60 s, loopback included, since a hook sender on the same host is as untrusted as any.
 */
export const HOOK_AUTH_MAX_ATTEMPTS = 20;
export const HOOK_AUTH_WINDOW_MS = 60_000;
export const HOOK_AUTH_LOCKOUT_MS = 60_000;
/** A whole HTTP request (headers and body) must arrive within this; the headers within the handshake timeout. */
export const HTTP_REQUEST_TIMEOUT_MS = 60_000;
/** How often Node checks HTTP connections against those timeouts. */
export const HTTP_CONNECTIONS_CHECK_MS = 1_000;
/** How often the shared secret's files are checked for rotation (sockets on the old secret close 4001). */
export const SECRET_POLL_INTERVAL_MS = 1_000;
/** Time a shutting-down gateway gives sockets to close cleanly before terminating them. */
export const SHUTDOWN_GRACE_MS = 2_000;
/**
 * The update check runs this long after start-up, off the start-up path and after the first clients' connects;
 * a gateway crash-looping faster than this never asks the registry at all.
 */
export const UPDATE_CHECK_INITIAL_DELAY_MS = 10_000;
/** Then at most once a day (OpenClaw's cadence), counted from the last attempt recorded in the state dir. */
export const UPDATE_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** One registry request may take this long, body included. */
export const UPDATE_CHECK_TIMEOUT_MS = 10_000;
/**
 * A registry answer larger than this is refused unread. npm's version document for one release is a few KiB (the
 * manifest, no readme); a megabyte leaves room for a mirror's extras without letting a bad URL fill memory.
 */
export const UPDATE_CHECK_MAX_BYTES = 1024 * 1024;

/**
 * What one plugin has to load, register and start its services (`plugins.load.timeoutMs`): start-up waits for
 * plugins (the seed's readiness rule), so a hung plugin is given up on and disabled instead of holding it.
 */
export const PLUGIN_LOAD_TIMEOUT_MS = 10_000;
/** Memory search (docs/memory.md): hits a `memory_search` returns by default (`memory.search.query.maxResults`). */
export const MEMORY_SEARCH_DEFAULT_MAX_RESULTS = 6;
/** Hits weaker than this are left out by default (`memory.search.query.minScore`, OpenClaw's 0.35). */
export const MEMORY_SEARCH_DEFAULT_MIN_SCORE = 0.35;
/** `memory.search` (the method): hits without `maxResults`, and the most any search returns (OpenClaw's). */
export const MEMORY_SEARCH_METHOD_DEFAULT_RESULTS = 20;
export const MEMORY_SEARCH_MAX_RESULTS = 50;
/**
 * Matches of one query ranked per corpus, newest first. Ranking reads each candidate's text, so this bounds a
 * search's work whatever the index holds: a term in every one of 100 000 messages costs what a rare one does.
 */
export const MEMORY_SEARCH_CANDIDATES = 250;
/** A memory file larger than this is not indexed and `memory_get` refuses it (a log pasted into memory/…). */
export const MEMORY_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** Memory files indexed per workspace at most; the rest are reported by doctor.memory.status and skipped. */
export const MEMORY_MAX_FILES = 10_000;
/** `memory_get` without `lines` returns this many lines, and at most this many characters (OpenClaw's). */
export const MEMORY_READ_DEFAULT_LINES = 120;
export const MEMORY_READ_MAX_CHARS = 12_000;

/**
 * Exec approvals. A prompt waits this long for an operator before its `askFallback` applies
 * (`approvals.exec.timeoutMs`; OpenClaw's fixed 30 minutes).
 */
export const EXEC_APPROVAL_TIMEOUT_MS = 30 * 60_000;
/** The longest command an approval prompt shows; a longer one is refused rather than shown cut (OpenClaw's). */
export const EXEC_APPROVAL_MAX_COMMAND_CHARS = 16_384;
/**
 * `approval.history` keeps resolved approvals for 30 days (OpenClaw's "rolling 30-day window", which its Control UI
 * states) and at most this many rows; older ones are pruned at start-up and as more are resolved.
 */
export const APPROVAL_HISTORY_MAX_ROWS = 10_000;
export const APPROVAL_HISTORY_RETENTION_MS = 30 * 86_400_000;
/** `approval.history` page size when the caller gives no `limit` (its schema caps `limit` at 100). */
export const APPROVAL_HISTORY_DEFAULT_LIMIT = 50;
/** `exec.approval.grants.list` answers at most this many grants (the official schema's `maxItems`). */
export const STANDING_GRANTS_MAX_LIST = 500;

/** The overridable limits as the config file names them (`gateway.limits.<name>`). */
export type GatewayLimits = {
  maxPreauthPayloadBytes: number;
  maxPayloadBytes: number;
  maxBufferedBytes: number;
  maxPreauthConnectionsPerIp: number;
  handshakeTimeoutMs: number;
  /** 0 runs pre-auth work at once. */
  preauthSliceMs: number;
  maxPreauthQueuedFrames: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  tickIntervalMs: number;
  healthRefreshMs: number;
  /** 0 disables coalescing. */
  presenceCoalesceMs: number;
  idempotencyTtlMs: number;
  idempotencyMaxEntries: number;
  attachmentMaxBytes: number;
  attachmentMaxImageBytes: number;
  /** Concurrent turns in the main lane (default max(8, 4 × cores)). */
  mainLaneConcurrency: number;
  hookMaxBodyBytes: number;
  hookBodyTimeoutMs: number;
};

export const DEFAULT_LIMITS: GatewayLimits = {
  maxPreauthPayloadBytes: MAX_PREAUTH_PAYLOAD_BYTES,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
  maxBufferedBytes: MAX_BUFFERED_BYTES,
  maxPreauthConnectionsPerIp: MAX_PREAUTH_CONNECTIONS_PER_IP,
  handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
  preauthSliceMs: PREAUTH_SLICE_MS,
  maxPreauthQueuedFrames: MAX_PREAUTH_QUEUED_FRAMES,
  pingIntervalMs: PING_INTERVAL_MS,
  pongTimeoutMs: PONG_TIMEOUT_MS,
  tickIntervalMs: TICK_INTERVAL_MS,
  healthRefreshMs: HEALTH_REFRESH_MS,
  presenceCoalesceMs: PRESENCE_COALESCE_MS,
  idempotencyTtlMs: IDEMPOTENCY_TTL_MS,
  idempotencyMaxEntries: IDEMPOTENCY_MAX_ENTRIES,
  attachmentMaxBytes: ATTACHMENT_MAX_BYTES,
  attachmentMaxImageBytes: ATTACHMENT_MAX_IMAGE_BYTES,
  mainLaneConcurrency: Math.max(8, 4 * availableParallelism()),
  hookMaxBodyBytes: HOOK_MAX_BODY_BYTES,
  hookBodyTimeoutMs: HOOK_BODY_TIMEOUT_MS,
};

/** A `node.invoke` without `timeoutMs` waits this long for the node's result (OpenClaw's default, observed). */
export const NODE_INVOKE_DEFAULT_TIMEOUT_MS = 30_000;
/** The longest a `node.invoke` may wait (`timeoutMs` above it, or 0, is held to it): no result waits forever. */
export const NODE_INVOKE_MAX_TIMEOUT_MS = 30 * 60_000;
/** A node's host stats (sent every 60 s) reach the disk at most this often; the live value is always current. */
export const NODE_HOST_STATS_PERSIST_MS = 10 * 60_000;
/** `node.pending.drain` hands over at most this many items per call (OpenClaw: default 4, maximum 10). */
export const NODE_PENDING_DRAIN_DEFAULT_ITEMS = 4;
/** Work queued by `node.pending.enqueue` lives this long without `expiresInMs` (OpenClaw's 24 h). */
export const NODE_PENDING_WORK_TTL_MS = 86_400_000;
