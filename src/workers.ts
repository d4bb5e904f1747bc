// Job queues of the whole application and the one startWorkers() that serves both the API
// process (WORKER_ENABLED) and the stand-alone `npm run worker`.
import { SYSTEM_META, type AppDeps } from './lib/context.ts';
import type { Jobs, QueueSpec } from './lib/jobs.ts';
import { MAIL_QUEUE, mailHandler } from './lib/mail-queue.ts';
import type { Mailer } from './lib/mailer.ts';
import { SMS_QUEUE, smsHandler } from './lib/sms-queue.ts';
import type { SmsSender } from './lib/sms.ts';
import type { ModuleDescriptor } from './modules/module.ts';

/** Every queue: mail, SMS, then each module's. */
export function queuesOf(modules: readonly ModuleDescriptor[]): QueueSpec[] {
  return [MAIL_QUEUE, SMS_QUEUE, ...modules.flatMap((module) => (module.jobs ?? []).map((job) => job.queue))];
}

/** Starts processing every queue in this process: each job runs with the app's parts and the system's meta. */
export async function startWorkers(jobs: Jobs, modules: readonly ModuleDescriptor[], deps: AppDeps & { mailer: Mailer; sms: SmsSender }): Promise<void> {
  await jobs.work(MAIL_QUEUE.name, mailHandler(deps.mailer, deps.logger));
  await jobs.work(SMS_QUEUE.name, smsHandler(deps.sms, deps.logger));
  const ctx = { ...deps, meta: SYSTEM_META };
  for (const module of modules) {
    for (const job of module.jobs ?? []) await jobs.work(job.queue.name, (payload: never, meta) => job.handle(ctx, payload, meta));
  }
}
