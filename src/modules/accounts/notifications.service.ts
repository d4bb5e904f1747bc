// How the caller wants to be told things (user/me/notifications/) and the proof that their phone is
// theirs (user/me/phone/verify/): an SMS code with the rules of every other code (otp.service.ts),
// bound to the number it was sent to. Other modules read a user's settings through
// notificationSettingsOf (index.ts); changes are announced as `account.notifications_changed`.
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { recordAudit } from '../audit/index.ts';
import { otpError, phoneNotVerified } from './accounts.errors.ts';
import type { NotificationPreferencesView, PhoneConfirmInput, PhoneInput } from './accounts.schemas.ts';
import { checkOtp, issueOtp } from './otp.service.ts';

export const DEFAULT_PREFERENCES: NotificationPreferencesView = { email: true, sms: false, reminderHours: [24], loginCodeChannel: 'email' };

/** A user's preferences and whether SMS may reach them: what senders of reminders and codes need. */
export interface NotificationSettings extends NotificationPreferencesView {
  /** The verified phone number; null while the phone is missing or unproven (then no SMS at all). */
  verifiedPhone: string | null;
}

export async function notificationSettingsOf(db: DbClient, userId: string): Promise<NotificationSettings> {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      phone: true,
      phoneVerifiedAt: true,
      notificationPreferences: { select: { email: true, sms: true, reminderHours: true, loginCodeChannel: true } },
    },
  });
  const preferences = user.notificationPreferences ?? DEFAULT_PREFERENCES;
  // The route's schema admits only these hours.
  const reminderHours = (preferences.reminderHours as NotificationPreferencesView['reminderHours']).toSorted((a, b) => a - b);
  return { ...preferences, reminderHours, verifiedPhone: user.phoneVerifiedAt && user.phone ? user.phone : null };
}

const viewOf = ({ verifiedPhone: _phone, ...preferences }: NotificationSettings): NotificationPreferencesView => preferences;

/** The number a login code of the user is texted to, when they chose SMS for it; undefined: mail it. */
export async function loginCodePhoneOf(db: DbClient, userId: string): Promise<string | undefined> {
  const settings = await notificationSettingsOf(db, userId);
  return settings.loginCodeChannel === 'sms' && settings.verifiedPhone ? settings.verifiedPhone : undefined;
}

export async function getPreferences(ctx: ServiceContext, actor: Actor): Promise<NotificationPreferencesView> {
  return viewOf(await notificationSettingsOf(ctx.db, actor.userId));
}

/** Replaces the caller's preferences; SMS for anything needs a verified phone (422 phone_not_verified). */
export async function updatePreferences(ctx: ServiceContext, input: NotificationPreferencesView, actor: Actor): Promise<NotificationPreferencesView> {
  return inTransaction(ctx, async (tx) => {
    const current = await notificationSettingsOf(tx.db, actor.userId);
    if ((input.sms || input.loginCodeChannel === 'sms') && !current.verifiedPhone) throw phoneNotVerified();
    const data = { ...input, reminderHours: [...new Set(input.reminderHours)].sort((a, b) => a - b), updatedAt: tx.clock.now() };
    await tx.db.notificationPreferences.upsert({ where: { userId: actor.userId }, create: { userId: actor.userId, ...data }, update: data, select: { userId: true } });
    await tx.events.publish(tx, 'account.notifications_changed', { userId: actor.userId });
    return viewOf(await notificationSettingsOf(tx.db, actor.userId));
  });
}

/**
 * Forgets a proven phone once the number changes: SMS preferences fall back to none and login
 * codes to e-mail, so nothing is texted to a number nobody proved. Runs in the change's transaction.
 */
export async function phoneChanged(tx: TxContext, userId: string): Promise<void> {
  await tx.db.user.update({ where: { id: userId }, data: { phoneVerifiedAt: null }, select: { id: true } });
  const { count } = await tx.db.notificationPreferences.updateMany({
    where: { userId, OR: [{ sms: true }, { loginCodeChannel: 'sms' }] },
    data: { sms: false, loginCodeChannel: 'email', updatedAt: tx.clock.now() },
  });
  if (count > 0) await tx.events.publish(tx, 'account.notifications_changed', { userId });
}

/** Texts a verification code to `phone` (cooldown and hourly cap as for every code; 202 either way). */
export async function requestPhoneVerification(ctx: ServiceContext, input: PhoneInput, actor: Actor): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const user = await tx.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { id: true, email: true } });
    await issueOtp(tx, user, 'phone_verification', { sms: input.phone, boundTo: input.phone });
  });
}

/** Checks the code texted to `phone`; a right one makes that number the caller's, verified. */
export async function confirmPhone(ctx: ServiceContext, input: PhoneConfirmInput, actor: Actor): Promise<{ phone: string; phoneVerified: true }> {
  const check = await inTransaction(ctx, async (tx) => {
    const user = await tx.db.user.findUniqueOrThrow({ where: { id: actor.userId }, select: { id: true, email: true } });
    const result = await checkOtp(tx, user, 'phone_verification', input.otp, input.phone);
    if (result !== 'ok') return result;
    await tx.db.user.update({ where: { id: user.id }, data: { phone: input.phone, phoneVerifiedAt: tx.clock.now() }, select: { id: true } });
    await recordAudit(tx, { action: 'phone.verify', outcome: 'success', actorId: user.id });
    return result;
  });
  if (check !== 'ok') throw otpError(check);
  return { phone: input.phone, phoneVerified: true };
}
