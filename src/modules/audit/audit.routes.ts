// HTTP routes of the audit module (`/v1/api/operations/audit/...`): the admins' view of the trail and its verification.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as schemas from './audit.schemas.ts';
import * as audit from './audit.service.ts';

const TAGS = ['audit'];

const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/audit',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'listAuditEvents',
        tags: TAGS,
        summary: 'List audit events',
        description:
          'Newest first, `limit` per page (1..200, default 50). Filters combine: `actorId` and `subjectUserId` are user (account) ids, ' +
          '`action` an exact action name, `from` (included) and `to` (excluded) instants. `nextCursor` (null on the last page) fetches the ' +
          'next page with the same filters; pages are cut on `(at, id)`, so events recorded meanwhile never shift or repeat them.',
        querystring: schemas.auditQuery,
        response: { 200: schemas.auditPageSchema },
      },
    },
    async (request) => audit.listAudit(request.ctx, request.query),
  );

  app.get(
    '/audit/verify',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'verifyAuditChain',
        tags: TAGS,
        summary: 'Verify the audit chain',
        description:
          'Recomputes every event’s hash (SHA-256 over its canonical content and the previous event’s hash) and follows the links from the ' +
          'first event to the chain’s head. `firstBrokenId` is the first event that was changed, or that follows a removed one; when the ' +
          'newest events were removed, it is the id of the newest (missing) event.',
        response: { 200: schemas.auditVerifySchema },
      },
    },
    async (request) => audit.verifyAudit(request.ctx),
  );
};

export default auditRoutes;
