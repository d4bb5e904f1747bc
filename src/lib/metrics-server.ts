// GET /metrics on a port of its own: the stand-alone worker's (WORKER_METRICS_PORT: the
// process-wide registry of lib/metrics.ts, mail delivered and failed, process and GC metrics),
// and the API's when METRICS_PORT keeps them off the public port. Same METRICS_TOKEN rule as the API.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './mailer.ts';
import { bearerMatches, processRegistry } from './metrics.ts';

export interface MetricsServerOptions {
  host: string;
  port: number;
  token: string | undefined;
  logger: Logger;
  /** The metrics text; the process-wide registry's by default. */
  render?: () => Promise<{ contentType: string; text: string }>;
}

async function processMetrics(): Promise<{ contentType: string; text: string }> {
  return { contentType: processRegistry.contentType, text: await processRegistry.metrics() };
}

function problem(response: ServerResponse, status: number, code: string, detail: string): void {
  response.writeHead(status, { 'content-type': 'application/problem+json', 'x-content-type-options': 'nosniff' });
  response.end(JSON.stringify({ type: `urn:clinic-api:problem:${code}`, title: code, status, detail, code }));
}

/** Listens on host:port; close it with `server.close()`. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const pathname = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || (pathname !== '/metrics' && pathname !== '/metrics/')) {
      problem(response, 404, 'not_found', 'The requested resource does not exist.');
      return;
    }
    if (options.token !== undefined && !bearerMatches(request.headers.authorization, options.token)) {
      problem(response, 401, 'unauthorized', 'Metrics need `Authorization: Bearer <METRICS_TOKEN>`.');
      return;
    }
    (options.render ?? processMetrics)().then(
      ({ contentType, text }) => {
        response.writeHead(200, { 'content-type': contentType, 'x-content-type-options': 'nosniff' });
        response.end(text);
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'metrics: rendering failed');
        problem(response, 500, 'internal_error', 'The metrics could not be rendered.');
      },
    );
  });
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
