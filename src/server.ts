// Entry point of the API (`npm start`, `node src/server.ts`, `node dist/src/server.js`). Node's
// compile cache comes first: a start then reads the modules' compiled code from disk instead of
// compiling them again, which takes about half the start-up time and some memory away (README,
// Performance). It must be on before the modules load, hence the dynamic import.
import { enableCompileCache } from 'node:module';

enableCompileCache();
await import('./server-main.ts');
