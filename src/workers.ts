// Job queues of the whole application and the one startWorkers() that serves both the API
// process (WORKER_ENABLED) and the stand-alone `npm run worker`.
import type { Jobs, QueueSpec } from './lib/jobs.ts';
import { MAIL_QUEUE, mailHandler } from './lib/mail-queue.ts';
import type { ModuleDescriptor, WorkerDeps } from './modules/module.ts';

/** Every queue: mail, then each module's. */
export function queuesOf(modules: readonly ModuleDescriptor[]): QueueSpec[] {
  return [MAIL_QUEUE, ...modules.flatMap((module) => (module.jobs ?? []).map((job) => job.queue))];
}

/** Starts processing every queue in this process. */
export async function startWorkers(jobs: Jobs, modules: readonly ModuleDescriptor[], deps: WorkerDeps): Promise<void> {
  await jobs.work(MAIL_QUEUE.name, mailHandler(deps.mailer, deps.logger));
  for (const module of modules) {
    for (const job of module.jobs ?? []) await jobs.work(job.queue.name, job.handler(deps));
  }
}
