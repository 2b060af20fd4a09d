import type { Static, TSchema } from 'typebox';
import type { METHOD_PARAM_SCHEMAS } from '../protocol/schemas/methods.ts';
import type { HandlerContext } from './context.ts';
import type { MethodDefinition } from './registry.ts';
import type { ClientView } from './ws/client.ts';

export type MethodContext = {
  gateway: HandlerContext;
  /** The calling connection: who it is and what it holds, never its socket. */
  client: ClientView;
  requestId: string;
  /** Runs once the handler's result has been sent (methods that answer twice, like `agent`). */
  afterResponse(callback: () => void): void;
  /** Sends a second `res` on the same request id. */
  respondAgain(payload: unknown): void;
};

type CoreSchemas = typeof METHOD_PARAM_SCHEMAS;

/** A core method's params, typed from its schema (types only: nothing of TypeBox loads at run time). */
export type CoreParams<Name extends string> = Name extends keyof CoreSchemas
  ? Static<CoreSchemas[Name]>
  : Record<string, unknown>;

/**
 * Declares a namespace's methods; each handler's params are typed from the method's schema by its name. The
 * identity function exists only for that inference.
 */
export function defineMethods<const Names extends string>(
  methods: {
    [Name in Names]: MethodDefinition<CoreParams<Name>>;
  },
): { [Name in Names]: MethodDefinition<CoreParams<Name>> } {
  return methods;
}

/**
 * Declares one method with its own params schema (a plugin's): the handler's params are typed from `schema`, and
 * dispatch validates against it before the handler runs.
 */
export function defineMethod<S extends TSchema>(
  definition: Omit<MethodDefinition<Static<S>>, 'schema'> & { schema: S },
): MethodDefinition<Static<S>> {
  return definition;
}
