/**
 * The schema layer: TypeBox and every schema the gateway validates with. Only `validators.ts` imports it, with a
 * dynamic import, so the build gives it its own chunk (TypeBox is ~700 ESM files, ~280 ms to import unbundled,
 * ~30 ms bundled) and neither start-up nor `clawgate call` pays for it.
 */
export { Compile } from 'typebox/compile';
export { ConfigFileSchema } from '../../config/schema.ts';
export { ConnectParamsSchema } from './connect.ts';
export { METHOD_PARAM_SCHEMAS } from './methods.ts';
