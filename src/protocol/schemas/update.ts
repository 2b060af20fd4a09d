import { Type } from 'typebox';

export const UPDATE_PARAM_SCHEMAS = {
  // OpenClaw's UpdateStatusParams, closed as it is.
  'update.status': Type.Object(
    { refreshCheckout: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
};
