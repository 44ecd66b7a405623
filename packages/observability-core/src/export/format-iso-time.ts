// One place for the vendors' timestamps: every mapper writes ISO times, several per record.

/** Milliseconds of 10000-01-01T00:00:00Z: from there on `toISOString` writes six-digit years. */
const YEAR_10000_MS = 253_402_300_800_000;
/** The `YYYY-MM-DDT` of the last day formatted, and its day number: records of a batch share a day. */
let cachedDay = Number.NaN;
let cachedDayPrefix = "";

/**
 * `new Date(epochMs).toISOString()`, by arithmetic for whole milliseconds from 1970 to 9999: V8
 * formats dates through `snprintf` (~6,000 instructions a date, more than the rest of a record's
 * mapping). Other values go through `Date`, as before.
 */
export function formatIsoTime(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < YEAR_10000_MS) || !Number.isInteger(epochMs)) {
    return new Date(epochMs).toISOString();
  }
  const day = Math.floor(epochMs / 86_400_000);
  let rest = epochMs - day * 86_400_000;
  if (day !== cachedDay) {
    cachedDayPrefix = `${civilDate(day)}T`;
    cachedDay = day;
  }
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const milliseconds = rest - seconds * 1000;
  return `${cachedDayPrefix}${twoDigits(hours)}:${twoDigits(minutes)}:${twoDigits(seconds)}.${
    milliseconds < 10 ? "00" : milliseconds < 100 ? "0" : ""
  }${milliseconds}Z`;
}

/** `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`). */
function civilDate(day: number): string {
  const shifted = day + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${twoDigits(month)}-${twoDigits(dayOfMonth)}`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}
