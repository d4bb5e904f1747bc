// A wrong method on a path that exists answers 405 problem+json with `Allow` (Fastify answers 404
// for both); unknown paths stay 404. Every route is noted as it is registered, and entered in a
// router of our own (find-my-way, the one Fastify routes with, same options) that tells which
// methods a path has. The check runs only for requests Fastify found no route for, and the router
// is built at the first of them: building it at start-up cost ~60 ms of the cold start.
import fp from 'fastify-plugin';
import Router, { type HTTPMethod } from 'find-my-way';
import { sendProblem } from './errors.ts';

const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const isMethod = (name: string): name is HTTPMethod => (METHODS as readonly string[]).includes(name);

export default fp(
  async (app) => {
    const routes: { method: HTTPMethod; url: string }[] = [];
    app.addHook('onRoute', (route) => {
      // A catch-all (CORS's `OPTIONS *`) would make every unknown path "exist".
      if (route.url === '*' || route.url === '/*') return;
      for (const method of [route.method].flat().map((name) => name.toUpperCase())) {
        if (isMethod(method)) routes.push({ method, url: route.url });
      }
    });
    let router: Router.Instance<Router.HTTPVersion.V1> | undefined;
    const pathsOf = () => {
      if (router) return router;
      router = Router({ ignoreTrailingSlash: true });
      for (const { method, url } of routes) if (!router.hasRoute(method, url)) router.on(method, url, () => undefined);
      return router;
    };

    // Before the body is read: a wrong method is answered whatever the body holds.
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.is404) return done();
      const paths = pathsOf();
      const allowed = METHODS.filter((method) => paths.find(method, request.url) !== null);
      if (allowed.length === 0) return done();
      reply.header('allow', allowed.join(', '));
      sendProblem(reply, 405, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(', ')}.`);
    });
  },
  { name: 'methods', dependencies: ['errors'] },
);
