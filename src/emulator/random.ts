/**
 * Randomness the emulator uses for generated ids, profile `random` and `--fail-rate`.
 *
 * Without `--seed` ids come from `crypto.randomUUID()`. With a seed, each purpose draws from its own
 * sfc32 stream derived from the seed, so the sequence of ids does not depend on how many fail-rate
 * rolls happened in between (and the other way round) — two runs that receive the same requests in
 * the same order answer the same ids and fail the same requests.
 */
import { randomUUID } from 'node:crypto';
import { murmur3 } from '../core/murmur3.js';

export type Rng = () => number;

/** sfc32: small, fast, good enough for test determinism (not for secrets). */
function sfc32(a: number, b: number, c: number, d: number): Rng {
  return () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

export function seededRng(seed: string, stream: string): Rng {
  const s = `${seed}\u0000${stream}`;
  const rng = sfc32(murmur3(s, 1), murmur3(s, 2), murmur3(s, 3), murmur3(s, 4));
  for (let i = 0; i < 12; i++) rng(); // mix the state before first use
  return rng;
}

/** A version-4-shaped UUID whose bits come from `rng`. */
export function uuidFrom(rng: Rng): string {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(rng() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface RandomSource {
  /** A fresh id for profiles and sessions. */
  id(): string;
  /** The profile's `random` in [0, 1). */
  profileRandom(): number;
  /** A roll in [0, 1) for `--fail-rate`. */
  failRoll(): number;
}

export function createRandomSource(seed?: string): RandomSource {
  if (seed === undefined) {
    return { id: () => randomUUID(), profileRandom: Math.random, failRoll: Math.random };
  }
  const ids = seededRng(seed, 'ids');
  const randoms = seededRng(seed, 'profile-random');
  const fails = seededRng(seed, 'fail-rate');
  return { id: () => uuidFrom(ids), profileRandom: randoms, failRoll: fails };
}
