// Kept for the tests outside tests/modules that still import it: the actor factories live in actors.ts.
export { bearer, createUser, login, randomEmail, randomPassword, type TestUser, type Tokens } from './actors.ts';
export { API } from './http.ts';
