#!/usr/bin/env node
// Runs the built bundle (dist/, made by `npm install` / `npm run build`); a source checkout without a build
// runs the TypeScript directly (Node strips types outside node_modules).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Caches compiled code (and, from sources, stripped TypeScript) across runs: measured ~3x faster start from sources.
module.enableCompileCache?.();

const dist = new URL('../dist/cli.mjs', import.meta.url);
const entry = existsSync(dist) ? dist : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);
await main(process.argv);
