// Time as a dependency, so tests can move it (OTP expiry, lockout) without sleeping.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
