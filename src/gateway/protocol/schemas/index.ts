/**
 * The schema layer: TypeBox and every schema the gateway validates with. `scripts/bundle-schemas.ts` bundles
 * this file (TypeBox is ~700 ESM files, ~280 ms to import; bundled, ~30 ms); `validators.ts` loads the bundle
 * on first use so neither start-up nor `clawgate call` pays for it.
 */
export { Compile } from 'typebox/compile';
export { ConfigFileSchema } from '../../../config/schema.ts';
export { ConnectParamsSchema } from './connect.ts';
export { METHOD_PARAM_SCHEMAS } from './methods.ts';
