/**
 * Shared heartbeat timers: one `unref()`ed interval timer per distinct
 * heartbeat interval, sweeping a Set of streams. No timer or closure per stream.
 *
 * Skip rule and its guarantee: the timer ticks every `interval / 2`. At each
 * tick, a stream that wrote anything since the previous tick only has its
 * "wrote" flag cleared; any other stream gets a heartbeat (which sets the
 * flag again). So an idle stream gets one heartbeat per `interval`, a busy one
 * none, and no open stream is silent for a full `interval`: the longest gap is
 * just under two ticks. The flag replaces a clock read per write.
 */

/** Method key the sweep calls on members; a symbol keeps it off the public API. */
export const kHeartbeatTick: unique symbol = Symbol('ssehub.heartbeatTick');

/** What the sweep needs from a stream. */
export interface HeartbeatMember {
  /** Called once per tick: clear the "wrote" flag, or write a heartbeat if it was clear. */
  [kHeartbeatTick](): void;
}

class HeartbeatGroup {
  readonly members = new Set<HeartbeatMember>();
  readonly timer: ReturnType<typeof setInterval>;

  constructor(period: number) {
    this.timer = setInterval(sweep, period, this);
    // Heartbeats alone must never keep the process alive.
    this.timer.unref();
  }
}

function sweep(group: HeartbeatGroup): void {
  // Deleting the current member during iteration (a heartbeat that finds the
  // client gone or too slow closes the stream) is safe for a Set.
  for (const member of group.members) member[kHeartbeatTick]();
}

const groups = new Map<number, HeartbeatGroup>();

/** Starts heartbeats for `member` every `interval` ms. */
export function addHeartbeat(member: HeartbeatMember, interval: number): void {
  let group = groups.get(interval);
  if (group === undefined) {
    group = new HeartbeatGroup(Math.max(1, Math.floor(interval / 2)));
    groups.set(interval, group);
  }
  group.members.add(member);
}

/** Stops heartbeats for `member`; the last member out stops the shared timer. */
export function removeHeartbeat(member: HeartbeatMember, interval: number): void {
  const group = groups.get(interval);
  if (group === undefined || !group.members.delete(member)) return;
  if (group.members.size === 0) {
    clearInterval(group.timer);
    groups.delete(interval);
  }
}

/** Number of live shared timers (for tests and diagnostics). */
export function heartbeatTimerCount(): number {
  return groups.size;
}
