import { Type } from 'typebox';

const closed = { additionalProperties: false } as const;

/**
 * `system.info` and the environments inventory. `environments.list` takes OpenClaw 2026.9.6's params (its Control
 * UI sends `includeDesktopSetup`, which the pinned 2026.9.1 schema, closed and empty, does not know yet).
 */
export const SYSTEM_PARAM_SCHEMAS = {
  'system.info': Type.Object({}, closed),
  'environments.list': Type.Object(
    {
      runtimeId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      projection: Type.Optional(Type.Literal('profiles')),
      includeDesktopSetup: Type.Optional(Type.Boolean()),
    },
    closed,
  ),
  'environments.status': Type.Object({ environmentId: Type.String({ minLength: 1 }) }, closed),
};
