// Kept only for tests/operations/metrics.int.test.ts until it imports tests/helpers directly.
export { registerAndActivate } from '../../helpers/accounts.ts';
export { expectProblem } from '../../helpers/http.ts';
