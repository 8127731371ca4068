/**
 * Cron schedules as a CronJob reads them (robfig/cron's standard parser, which kube uses): five fields
 * (minute hour day-of-month month day-of-week) with `*`, `?`, lists, ranges, steps and month/day names; the
 * macros @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly and `@every <duration>`; an optional
 * `TZ=`/`CRON_TZ=` prefix; and the next run after a time, in an IANA time zone read through Intl.
 *
 * A small parser of our own rather than an npm one: kube's semantics (day-of-month OR day-of-week when both
 * are restricted, `@every`, the TZ prefix) are a hundred lines, and the popular packages differ from robfig on
 * exactly those points.
 */

export interface Schedule {
  /** The first run strictly after `afterMs` (ms since the epoch), or undefined when there is none in 5 years. */
  next(afterMs: number): number | undefined;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's value (months count from 1). */
  namesBase?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, namesBase: 0 },
];

function parseValue(text: string, f: FieldSpec): number {
  const i = f.names?.indexOf(text.toLowerCase()) ?? -1;
  if (i >= 0) return i + (f.namesBase ?? 0);
  if (!/^\d+$/.test(text)) throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

/** One field into the set of values it allows; `star` tells whether it was `*` or `?`. */
function parseField(text: string, f: FieldSpec): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === undefined) throw new Error(`too many slashes: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = f.min;
      hi = f.max;
      if (stepText === undefined) star = true;
    } else {
      const [a, b, more] = range.split('-');
      if (more !== undefined || a === undefined) throw new Error(`too many hyphens: ${range}`);
      lo = parseValue(a, f);
      // `a/step` runs from a to the end of the range, as robfig does.
      hi = b !== undefined ? parseValue(b, f) : stepText !== undefined ? f.max : lo;
    }
    const step = stepText === undefined ? 1 : parseValue(stepText, f);
    if (lo < f.min) throw new Error(`beginning of range (${lo}) below minimum (${f.min}): ${part}`);
    if (hi > f.max) throw new Error(`end of range (${hi}) above maximum (${f.max}): ${part}`);
    if (lo > hi) throw new Error(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    if (step <= 0) throw new Error(`step of range should be a positive number: ${part}`);
    // Sunday may be written 7 as well as 0.
    for (let v = lo; v <= hi; v += step) values.add(f.name === 'day of week' && v === 7 ? 0 : v);
  }
  return { values, star };
}

/** Seconds of an `@every` duration (Go's time.ParseDuration units h, m, s, ms). */
function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(text))) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    end = re.lastIndex;
  }
  if (!text || end !== text.length) throw new Error(`failed to parse duration @every ${text}: time: invalid duration "${text}"`);
  // robfig rounds below a second up to one second.
  return Math.max(1000, Math.floor(total / 1000) * 1000);
}

/** The zone's offset from UTC (ms) at instant `ms`. */
function zoneOffset(ms: number, fmt: Intl.DateTimeFormat): number {
  const parts: Record<string, number> = {};
  for (const p of fmt.formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour! % 24, parts.minute!, parts.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
}

/** Whether `tz` names a time zone Intl knows (kube checks against the tz database the same way). */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

class CronSchedule implements Schedule {
  private readonly fmt: Intl.DateTimeFormat;

  constructor(
    private readonly fields: Array<{ values: Set<number>; star: boolean }>,
    timeZone: string,
  ) {
    this.fmt = formatter(timeZone);
  }

  private dayMatches(wall: Date): boolean {
    const dom = this.fields[2]!;
    const dow = this.fields[4]!;
    const domOk = dom.values.has(wall.getUTCDate());
    const dowOk = dow.values.has(wall.getUTCDay());
    // Both restricted: either may match (cron's classic rule); otherwise both must.
    return dom.star || dow.star ? domOk && dowOk : domOk || dowOk;
  }

  next(afterMs: number): number | undefined {
    const [minutes, hours, , months] = this.fields;
    // Walk wall-clock time in the zone (held in a UTC Date), field by field, then map back to an instant.
    const offset = zoneOffset(afterMs, this.fmt);
    const wall = new Date(Math.floor((afterMs + offset) / 60_000) * 60_000 + 60_000);
    const limit = wall.getTime() + 5 * 366 * 86_400_000;
    while (wall.getTime() < limit) {
      if (!months!.values.has(wall.getUTCMonth() + 1)) {
        wall.setUTCMonth(wall.getUTCMonth() + 1, 1);
        wall.setUTCHours(0, 0, 0, 0);
      } else if (!this.dayMatches(wall)) {
        wall.setUTCDate(wall.getUTCDate() + 1);
        wall.setUTCHours(0, 0, 0, 0);
      } else if (!hours!.values.has(wall.getUTCHours())) {
        wall.setUTCHours(wall.getUTCHours() + 1, 0, 0, 0);
      } else if (!minutes!.values.has(wall.getUTCMinutes())) {
        wall.setUTCMinutes(wall.getUTCMinutes() + 1, 0, 0);
      } else {
        const guess = wall.getTime() - zoneOffset(wall.getTime() - offset, this.fmt);
        const instant = wall.getTime() - zoneOffset(guess, this.fmt);
        if (instant > afterMs) return instant;
        wall.setUTCMinutes(wall.getUTCMinutes() + 1, 0, 0);
      }
    }
    return undefined;
  }
}

class EverySchedule implements Schedule {
  constructor(private readonly everyMs: number) {}

  next(afterMs: number): number {
    // robfig adds the delay to the time given, to the whole second.
    return Math.floor(afterMs / 1000) * 1000 + this.everyMs;
  }
}

/**
 * Parses a schedule; `timeZone` (spec.timeZone) wins over none, a `TZ=` prefix in the schedule over the
 * default UTC. Throws with robfig's wording on a bad schedule.
 */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  let text = schedule.trim();
  let zone = timeZone ?? 'UTC';
  const tz = /^(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    zone = tz[1]!;
    text = tz[2]!.trim();
  }
  if (!isValidTimeZone(zone)) throw new Error(`provided bad location ${zone}: unknown time zone ${zone}`);
  if (text.startsWith('@every ')) return new EverySchedule(parseDuration(text.slice('@every '.length).trim()));
  const expanded = text.startsWith('@') ? MACROS[text] : text;
  if (expanded === undefined) throw new Error(`unrecognized descriptor: ${text}`);
  const parts = expanded.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new Error(`expected exactly 5 fields, found ${parts.length}: ${text}`);
  return new CronSchedule(
    parts.map((p, i) => parseField(p, FIELDS[i]!)),
    zone,
  );
}

/** An instant as RFC 3339 in `timeZone` (`2026-01-02T03:04:00+01:00`, `Z` for UTC), as Go's Format(time.RFC3339) in a location. */
export function formatInZone(ms: number, timeZone = 'UTC'): string {
  const offset = zoneOffset(ms, formatter(timeZone));
  const wall = new Date(Math.floor(ms / 1000) * 1000 + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset) / 60_000;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${wall}${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
