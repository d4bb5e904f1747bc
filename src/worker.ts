// Entry point of the stand-alone worker (`npm run worker`, `node dist/src/worker.js`), with Node's
// compile cache on before the modules load, as in server.ts.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./worker-main.ts');
