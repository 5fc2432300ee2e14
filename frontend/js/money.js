// Money: integer minor units in, exact strings out. Never floats.

const LOCALE = 'en-US';
const digitsCache = new Map();

/** Digits after the decimal point of an ISO 4217 currency (USD 2, JPY 0, KWD 3). */
export function currencyDigits(currency) {
  const code = String(currency || 'USD').toUpperCase();
  if (!digitsCache.has(code)) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: code })
        .resolvedOptions().maximumFractionDigits;
    } catch {
      digits = 2;
    }
    digitsCache.set(code, digits);
  }
  return digitsCache.get(code);
}

function toBigInt(minor) {
  if (typeof minor === 'bigint') return minor;
  if (typeof minor === 'number' && Number.isInteger(minor)) return BigInt(minor);
  if (typeof minor === 'string' && /^-?\d+$/.test(minor.trim())) return BigInt(minor.trim());
  throw new TypeError(`not an integer amount: ${minor}`);
}

/** 123450 with 2 digits -> "1234.50" (string math, exact). */
export function minorToDecimalString(minor, digits) {
  let s = toBigInt(minor).toString();
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  }
  return negative ? `-${s}` : s;
}

const formatters = new Map();
function formatterFor(currency) {
  if (!formatters.has(currency)) {
    const digits = currencyDigits(currency);
    formatters.set(currency, new Intl.NumberFormat(LOCALE, {
      style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits,
    }));
  }
  return formatters.get(currency);
}

/** {amount_minor: 123450, currency: "USD"} -> "$1,234.50". */
export function formatMoney(money) {
  if (!money || money.amount_minor === undefined || money.amount_minor === null) return '';
  const currency = String(money.currency || 'USD').toUpperCase();
  const decimal = minorToDecimalString(money.amount_minor, currencyDigits(currency));
  // Intl.NumberFormat formats a decimal string exactly (no binary rounding).
  return formatterFor(currency).format(decimal);
}

/** Value for an <input> that edits a price: 123450 -> "1234.50". */
export function minorToInput(minor, currency) {
  return minorToDecimalString(minor, currencyDigits(currency));
}

/**
 * Parses what a person typed ("1,234.5", "$1234.50", "1234") into minor units.
 * Returns {minor} or {error} (plain words).
 */
export function parseMoneyInput(text, currency = 'USD') {
  const digits = currencyDigits(currency);
  const cleaned = String(text ?? '').trim().replace(/[\s,]/g, '').replace(/^[^\d.]+/, '');
  if (cleaned === '') return { error: 'Enter an amount.' };
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(cleaned)) {
    return { error: digits > 0 ? `Enter an amount like 1234.${'5'.padEnd(digits, '0')}.` : 'Enter a whole amount like 1234.' };
  }
  const [whole, frac = ''] = cleaned.split('.');
  if (frac.length > digits) {
    return { error: digits === 0 ? 'This currency has no decimal places.' : `Use at most ${digits} decimal places.` };
  }
  const minor = BigInt(whole || '0') * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { error: 'That amount is too large.' };
  return { minor: Number(minor) };
}
