#!/usr/bin/env node
// Published installs run the compiled dist/ (Node does not strip types under node_modules); a source checkout
// without a build runs the TypeScript directly.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const { main } = existsSync(dist)
  ? await import(dist.href)
  : await import(new URL('../src/cli/main.ts', import.meta.url).href);
await main(process.argv);
