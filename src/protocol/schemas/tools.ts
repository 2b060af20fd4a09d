import { Type } from 'typebox';

const NonEmpty = Type.String({ minLength: 1 });

/** Params of the tools methods: OpenClaw's published schemas (ToolsCatalogParams, …), closed as published. */
export const TOOLS_PARAM_SCHEMAS = {
  'tools.catalog': Type.Object(
    { agentId: Type.Optional(NonEmpty), includePlugins: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
  'tools.effective': Type.Object(
    { agentId: Type.Optional(NonEmpty), sessionKey: NonEmpty },
    { additionalProperties: false },
  ),
  'tools.invoke': Type.Object(
    {
      name: NonEmpty,
      args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      sessionKey: Type.Optional(NonEmpty),
      agentId: Type.Optional(NonEmpty),
      confirm: Type.Optional(Type.Boolean()),
      idempotencyKey: Type.Optional(NonEmpty),
      conversationReadOrigin: Type.Optional(Type.Literal('direct-operator')),
    },
    { additionalProperties: false },
  ),
};
