/** The wire protocol clawgate speaks; `hello-ok.protocol` is always this. */
export const PROTOCOL_VERSION = 4;
/** Probes and legacy node hosts may still negotiate down to v3 (protocol.md §4). */
export const MIN_PROBE_PROTOCOL_VERSION = 3;
export const MIN_NODE_PROTOCOL_VERSION = 3;
