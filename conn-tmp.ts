import { connectMany } from './bench/bench-client.ts';
const [url, token, kind, n] = process.argv.slice(2);
const t0 = performance.now();
const clients = await connectMany(url!, token!, kind as 'cli', Number(n), 16);
console.log(kind, n, 'connected in', Math.round(performance.now() - t0), 'ms');
for (const c of clients) c.close();
process.exit(0);
