// Bundles the schema layer into generated/schemas.mjs (run by `npm install` via `prepare`, and by the build).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'generated', 'schemas.mjs');
let esbuild: typeof import('esbuild');
try {
  esbuild = await import('esbuild');
} catch {
  // A production install has no esbuild; the gateway then imports the schema sources directly (slower, same result).
  console.warn('bundle-schemas: esbuild not installed, skipping (schemas load unbundled)');
  process.exit(0);
}
mkdirSync(dirname(outfile), { recursive: true });
await esbuild.build({
  entryPoints: [join(root, 'src', 'gateway', 'protocol', 'schemas', 'index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  outfile,
  logLevel: 'warning',
});
