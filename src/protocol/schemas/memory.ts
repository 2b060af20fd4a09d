import { Type } from 'typebox';

/**
 * OpenClaw publishes no schema for these; its handlers check the fields below by hand and ignore others, so the
 * objects stay open. `maxResults` is floored and clamped to 1–50 by the handler, as OpenClaw's is.
 */
export const MEMORY_PARAM_SCHEMAS = {
  'memory.search': Type.Object(
    {
      query: Type.String(),
      maxResults: Type.Optional(Type.Number()),
      minScore: Type.Optional(Type.Number()),
      agentId: Type.Optional(Type.String()),
    },
    { additionalProperties: true },
  ),
  'doctor.memory.status': Type.Object(
    {
      agentId: Type.Optional(Type.String()),
      probe: Type.Optional(Type.Boolean()),
      deep: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: true },
  ),
  'doctor.memory.dreamDiary': Type.Object(
    { agentId: Type.Optional(Type.String()) },
    { additionalProperties: true },
  ),
};
