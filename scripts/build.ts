// Builds dist/ with esbuild: the CLI and the public API as ESM bundles, with every dynamic import() kept as a
// separate lazily-loaded chunk (server, schema layer). Bundling matters: run from sources, Node strips types
// with a WASM transformer that costs ~40 MB RSS, and TypeBox unbundled is ~700 files (~280 ms to import).
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');
rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: { cli: join(root, 'src/cli/main.ts'), index: join(root, 'src/index.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // ws loads these native accelerators optionally; without them it uses its JS fallbacks. grammY (CommonJS,
  // loaded only when a Telegram account starts) runs from node_modules as in development: bundled, its named
  // exports are lost to the dynamic import, and node-fetch's `punycode` require prints a deprecation warning.
  external: ['bufferutil', 'utf-8-validate', 'grammy'],
  banner: {
    js: "import { createRequire as __cgCreateRequire } from 'node:module'; const require = __cgCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
