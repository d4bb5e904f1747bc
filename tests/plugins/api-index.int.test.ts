// GET /v1/api/ (the link the start-up banner prints): a JSON index whose links all answer.
import { expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { useTestApp } from '../helpers/app.ts';

const t = useTestApp({ env: { PUBLIC_URL: 'https://clinic.example' } });

it('answers links to the docs, the OpenAPI document and the probes, with and without the slash; each link is served', async () => {
  for (const url of ['/v1/api/', '/v1/api']) {
    const response = await t.app.inject({ url });
    expect(response.statusCode, url).toBe(200);
    expect(response.json()).toEqual({
      name: 'Clinic API',
      version: packageJson.version,
      links: {
        docs: 'https://clinic.example/docs',
        openapi: 'https://clinic.example/docs/json',
        live: 'https://clinic.example/health/live',
        ready: 'https://clinic.example/health/ready',
      },
    });
  }
  const { links } = (await t.app.inject({ url: '/v1/api/' })).json<{ links: Record<string, string> }>();
  for (const link of Object.values(links)) {
    // Served: the probes may answer 503 on a busy machine, never 404.
    const response = await t.app.inject({ url: new URL(link).pathname });
    expect(response.statusCode, link).not.toBe(404);
  }
});

it('is in the OpenAPI document', async () => {
  const document = (await t.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, { get?: { operationId?: string } }> }>();
  expect(document.paths['/v1/api']?.get?.operationId).toBe('apiIndex');
});
