/** WebSocket close codes clawgate sends (protocol.md §3). */
export const CLOSE = {
  NORMAL: 1000,
  PROTOCOL_MISMATCH: 1002,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  AUTH_CHANGED: 4001,
} as const;
