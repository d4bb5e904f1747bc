// Domain events, published inside the transaction of the change that causes them: a module
// announces what happened ("account.activated") and the modules that care react in the same
// transaction, without the publisher importing them. Each module declares the events it
// publishes by merging into EventPayloads:
//   declare module '../../lib/events.ts' { interface EventPayloads { 'account.activated': { userId: string } } }
// and subscribes through its descriptor (modules/module.ts). `Ctx` is the context handlers run
// with: the publisher's, inside its transaction (lib/context.ts TxContext).

// Filled in by the modules (declaration merging); empty here, so lib stays domain-free.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventPayloads {}

export type EventName = keyof EventPayloads;

export type EventHandler<Ctx, Name extends EventName> = (ctx: Ctx, payload: EventPayloads[Name]) => Promise<void>;

/** A reaction to several events of one change at once (`publishAll`), e.g. in one statement. */
export type BatchHandler<Ctx, Name extends EventName> = (ctx: Ctx, payloads: readonly EventPayloads[Name][]) => Promise<void>;

/** One module's reaction to one event; `handleAll`, if given, takes a batch instead of `handle` for each. */
export type Subscription<Ctx> = { [Name in EventName]: { event: Name; handle: EventHandler<Ctx, Name>; handleAll?: BatchHandler<Ctx, Name> } }[EventName];

export interface DomainEvents<Ctx> {
  /** Runs every subscriber of `name` in order, in the caller's transaction; a throw rolls the change back. */
  publish<Name extends EventName>(ctx: Ctx, name: Name, payload: EventPayloads[Name]): Promise<void>;
  /** As `publish` for each of `payloads` (one change's, e.g. a sweep's batch), subscriber by subscriber: each takes them all at once if it can. */
  publishAll<Name extends EventName>(ctx: Ctx, name: Name, payloads: readonly EventPayloads[Name][]): Promise<void>;
}

export function createEvents<Ctx>(subscriptions: readonly Subscription<Ctx>[]): DomainEvents<Ctx> {
  return {
    async publish(ctx, name, payload) {
      for (const subscription of subscriptions) {
        if (subscription.event === name) await (subscription.handle as EventHandler<Ctx, typeof name>)(ctx, payload);
      }
    },
    async publishAll(ctx, name, payloads) {
      if (payloads.length === 0) return;
      for (const subscription of subscriptions) {
        if (subscription.event !== name) continue;
        const handleAll = subscription.handleAll as BatchHandler<Ctx, typeof name> | undefined;
        if (handleAll) await handleAll(ctx, payloads);
        else for (const payload of payloads) await (subscription.handle as EventHandler<Ctx, typeof name>)(ctx, payload);
      }
    },
  };
}
