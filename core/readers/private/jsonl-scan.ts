import type { CategoricalProfile } from '../../profile/categorical-profile';
import { NumericProfile } from '../../profile/numeric-profile';
import type { DatasetProfile } from '../../profile/profile';

/**
 * The JSON Lines fast path of a drift check: reads a flat object line (`{"name": value, ...}` with numbers,
 * strings without escapes, true/false/null) from its bytes and feeds the profiles, without JSON.parse building
 * an object per row. It only accepts what it fully checked against the JSON grammar (RFC 8259): a line with
 * anything else (escapes, nested values, duplicate keys, a capture record, a syntax error) returns false and
 * the caller reads it with JSON.parse, so every verdict is JSON.parse's. Values are recorded first and handed to
 * the profiles only once the whole line checked out.
 */

const enum Kind {
  Number = 1,
  String = 2,
  True = 3,
  False = 4,
  Null = 5,
}

/** 10^0 … 10^22: every one is exactly representable as a double. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

export class JsonLineScanner {
  private readonly keys: Uint8Array[];
  private readonly numeric: boolean[];
  private readonly kind: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly value: Float64Array;
  /** Per feature: the line (stamp) it was last seen on, to catch duplicate keys. */
  private readonly seenOn: Float64Array;
  private stamp = 0;
  private next = 0;

  constructor(private readonly profile: DatasetProfile) {
    this.keys = profile.features.map((f) => Buffer.from(f.name, 'utf8'));
    this.numeric = profile.profiles.map((p) => p instanceof NumericProfile);
    const n = this.keys.length;
    this.kind = new Uint8Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.value = new Float64Array(n);
    this.seenOn = new Float64Array(n).fill(-1);
  }

  /** Feature index whose name is bytes [s, e), trying the one after the previous key first; −1 when none. */
  private featureAt(buf: Uint8Array, s: number, e: number): number {
    const keys = this.keys;
    const n = keys.length;
    for (let t = 0; t < n; t++) {
      let i = this.next + t;
      if (i >= n) i -= n;
      const key = keys[i];
      if (key.length !== e - s) continue;
      let k = 0;
      while (k < key.length && key[k] === buf[s + k]) k++;
      if (k === key.length) {
        this.next = i + 1 === n ? 0 : i + 1;
        return i;
      }
    }
    return -1;
  }

  /**
   * Profiles the object on bytes [s, e) of `buf` when it is a flat object whose keys are all features (or
   * reports false, having changed nothing).
   */
  scan(buf: Uint8Array, s: number, e: number): boolean {
    const stamp = ++this.stamp;
    const kind = this.kind;
    const seenOn = this.seenOn;
    let i = skipSpace(buf, s, e);
    if (i >= e || buf[i] !== 123) return false; // {
    i = skipSpace(buf, i + 1, e);
    if (i < e && buf[i] === 125) {
      i++;
    } else {
      for (;;) {
        if (i >= e || buf[i] !== 34) return false; // "key"
        const ks = i + 1;
        let ke = ks;
        while (ke < e && buf[ke] !== 34) {
          if (buf[ke] === 92 || buf[ke] < 32) return false; // escapes and control characters: JSON.parse
          ke++;
        }
        if (ke >= e) return false;
        const f = this.featureAt(buf, ks, ke);
        if (f < 0 || seenOn[f] === stamp) return false; // other keys (unexpected columns, captureData), duplicates
        seenOn[f] = stamp;
        i = skipSpace(buf, ke + 1, e);
        if (i >= e || buf[i] !== 58) return false; // :
        i = skipSpace(buf, i + 1, e);
        if (i >= e) return false;
        const c = buf[i];
        if (c === 34) {
          let j = i + 1;
          while (j < e && buf[j] !== 34) {
            if (buf[j] === 92 || buf[j] < 32) return false;
            j++;
          }
          if (j >= e) return false;
          kind[f] = Kind.String;
          this.start[f] = i + 1;
          this.end[f] = j;
          i = j + 1;
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          const j = this.number(buf, i, e, f);
          if (j < 0) return false;
          i = j;
        } else if (c === 116 && matches(buf, i, e, 'true')) {
          kind[f] = Kind.True;
          i += 4;
        } else if (c === 102 && matches(buf, i, e, 'false')) {
          kind[f] = Kind.False;
          i += 5;
        } else if (c === 110 && matches(buf, i, e, 'null')) {
          kind[f] = Kind.Null;
          i += 4;
        } else return false; // nested values, syntax errors
        i = skipSpace(buf, i, e);
        if (i < e && buf[i] === 44) {
          i = skipSpace(buf, i + 1, e);
          continue;
        }
        if (i < e && buf[i] === 125) {
          i++;
          break;
        }
        return false;
      }
    }
    if (skipSpace(buf, i, e) !== e) return false;

    // The whole line checked out: hand the values over.
    const profile = this.profile;
    const profiles = profile.profiles;
    profile.rows++;
    for (let f = 0; f < profiles.length; f++) {
      const p = profiles[f];
      if (seenOn[f] !== stamp) {
        p.add(undefined);
        continue;
      }
      switch (kind[f]) {
        case Kind.Number:
          if (this.numeric[f]) (p as NumericProfile).addNumber(this.value[f]);
          else p.add(this.value[f]);
          break;
        case Kind.String:
          if (this.numeric[f] || !(p as CategoricalProfile).addBytes(buf, this.start[f], this.end[f])) {
            p.add(Buffer.prototype.toString.call(buf, 'utf8', this.start[f], this.end[f]));
          }
          break;
        case Kind.True:
          p.add(true);
          break;
        case Kind.False:
          p.add(false);
          break;
        default:
          p.add(null);
      }
    }
    return true;
  }

  /**
   * A JSON number at i (RFC 8259: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) into value[f]; returns the
   * index after it, or −1 when it is not one or its value needs Number() (over 15 digits, |exponent| > 22).
   */
  private number(buf: Uint8Array, i: number, e: number, f: number): number {
    let negative = false;
    if (buf[i] === 45) {
      negative = true;
      i++;
    }
    if (i >= e) return -1;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let c = buf[i];
    if (c === 48) {
      i++;
      if (i < e && buf[i] >= 48 && buf[i] <= 57) return -1; // leading zero
    } else if (c >= 49 && c <= 57) {
      while (i < e && (c = buf[i]) >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        i++;
      }
    } else return -1;
    if (i < e && buf[i] === 46) {
      i++;
      const fs = i;
      while (i < e && (c = buf[i]) >= 48 && c <= 57) {
        if (mantissa !== 0 || c !== 48) {
          mantissa = mantissa * 10 + (c - 48);
          digits++;
        }
        scale--;
        i++;
      }
      if (i === fs) return -1;
    }
    if (i < e && (buf[i] === 101 || buf[i] === 69)) {
      i++;
      let expNegative = false;
      if (i < e && (buf[i] === 45 || buf[i] === 43)) {
        expNegative = buf[i] === 45;
        i++;
      }
      const es = i;
      let exp = 0;
      while (i < e && (c = buf[i]) >= 48 && c <= 57) {
        if (exp < 10000) exp = exp * 10 + (c - 48);
        i++;
      }
      if (i === es) return -1;
      scale += expNegative ? -exp : exp;
    }
    if (digits > 15) return -1;
    let x: number;
    if (mantissa === 0) x = 0;
    else if (scale >= 0 && scale <= 22) x = mantissa * POW10[scale];
    else if (scale < 0 && scale >= -22) x = mantissa / POW10[-scale];
    else return -1;
    this.kind[f] = Kind.Number;
    this.value[f] = negative ? -x : x;
    return i;
  }
}

function skipSpace(buf: Uint8Array, i: number, e: number): number {
  while (i < e) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

function matches(buf: Uint8Array, i: number, e: number, word: string): boolean {
  if (i + word.length > e) return false;
  for (let k = 0; k < word.length; k++) if (buf[i + k] !== word.charCodeAt(k)) return false;
  return true;
}
