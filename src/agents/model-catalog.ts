import type { GatewayConfig } from '../config/types.ts';
import { READ } from '../server/authz/access.ts';
import { defineMethods } from '../server/method-types.ts';

export type ModelEntry = {
  id: string;
  name: string;
  provider: string;
  available: boolean;
  contextWindow?: number;
};

/** The offline provider every install has (the chat pipeline implements it). */
const BUILT_IN_MODELS: ModelEntry[] = [
  { id: 'echo', name: 'Echo (offline)', provider: 'echo', available: true },
];

/** Built-in models plus every model listed under `models.providers.<id>.models`. */
export function listModels(config: GatewayConfig): ModelEntry[] {
  const models = [...BUILT_IN_MODELS];
  for (const [provider, settings] of Object.entries(config.models.providers)) {
    for (const model of settings.models ?? []) {
      models.push({
        id: model.id,
        name: model.name ?? model.id,
        provider,
        available: true,
        ...(model.contextWindow ? { contextWindow: model.contextWindow } : {}),
      });
    }
  }
  return models;
}

export const modelsMethods = defineMethods({
  'models.list': {
    access: READ,
    requiresReady: true,
    handler: (params, { gateway }) => {
      const models = listModels(gateway.configState.config);
      const provider = params.provider?.toLowerCase();
      return {
        models: provider ? models.filter((model) => model.provider.toLowerCase() === provider) : models,
      };
    },
  },
});
