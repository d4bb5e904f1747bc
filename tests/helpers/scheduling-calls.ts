// Kept for the tests outside tests/modules that still import it: call() lives in scheduling.ts.
export { call } from './scheduling.ts';
