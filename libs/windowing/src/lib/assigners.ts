import type { WindowSpec } from '@platform/contracts';
import type { WindowBounds } from './types';

/** The tumbling window of size `sizeMs` holding `t`: `start = floor(t / S) * S`, also for t < 0. */
export function tumblingWindow(t: number, sizeMs: number): WindowBounds {
  const start = Math.floor(t / sizeMs) * sizeMs + 0;
  return { start, end: start + sizeMs };
}

/**
 * Every sliding window holding `t`, oldest first: each `start = k * slideMs` with
 * `start <= t < start + sizeMs`.
 */
export function slidingWindows(t: number, sizeMs: number, slideMs: number): WindowBounds[] {
  const windows: WindowBounds[] = [];
  const newest = Math.floor(t / slideMs);
  for (let k = Math.floor((t - sizeMs) / slideMs) + 1; k <= newest; k++) {
    const start = k * slideMs + 0;
    windows.push({ start, end: start + sizeMs });
  }
  return windows;
}

/** The session window an event at `t` opens on its own: `[t, t + gapMs)`. */
export function sessionWindow(t: number, gapMs: number): WindowBounds {
  return { start: t, end: t + gapMs };
}

/** The fixed (tumbling or sliding) windows holding `t`, oldest first. */
export function assignWindows(window: WindowSpec, t: number): WindowBounds[] {
  switch (window.type) {
    case 'tumbling':
      return [tumblingWindow(t, window.sizeMs)];
    case 'sliding':
      return slidingWindows(t, window.sizeMs, window.slideMs);
    case 'session':
      return [sessionWindow(t, window.gapMs)];
  }
}

/**
 * Whether a window with this end has closed at watermark `w`: its state is dropped and no
 * event may change it any more.
 *
 * - tumbling / sliding: closed once `w >= end + allowedLatenessMs`;
 * - session: closed once `w > end + allowedLatenessMs`, because an event at exactly `end`
 *   (the gap after the last event) still joins the session.
 */
export function isWindowClosed(window: WindowSpec, end: number, w: number): boolean {
  const closesAt = end + window.allowedLatenessMs;
  return window.type === 'session' ? w > closesAt : w >= closesAt;
}

/**
 * Whether a window with this end fires (is emitted) at watermark `w`: `w >= end` for
 * tumbling and sliding windows, `w > end` for sessions (an event at `end` still joins).
 */
export function isWindowComplete(window: WindowSpec, end: number, w: number): boolean {
  return window.type === 'session' ? w > end : w >= end;
}

/**
 * The end of the earliest-ending window an event at `t` belongs to or may merge with: the
 * oldest tumbling/sliding window holding `t`, and for sessions `t` itself (a session whose
 * last event is `t - gap` ends at `t`, and the event joins it).
 */
export function earliestWindowEnd(window: WindowSpec, t: number): number {
  switch (window.type) {
    case 'tumbling':
      return tumblingWindow(t, window.sizeMs).end;
    case 'sliding':
      return (
        (Math.floor((t - window.sizeMs) / window.slideMs) + 1) * window.slideMs + window.sizeMs
      );
    case 'session':
      return t;
  }
}

/**
 * The lateness rule, one for every window type: an event is late iff the earliest-ending
 * window it belongs to or may merge with has closed at watermark `w`.
 *
 * - tumbling / sliding: late iff `earliestWindowEnd(t) + allowedLatenessMs <= w`, so an
 *   event that is not late finds every one of its windows open (no partially late events);
 * - session: late iff `t + allowedLatenessMs < w`, so an event that is not late can never
 *   touch a session whose state was already dropped.
 */
export function isLate(window: WindowSpec, t: number, w: number): boolean {
  return isWindowClosed(window, earliestWindowEnd(window, t), w);
}
