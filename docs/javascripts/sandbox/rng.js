// torch's CPU generator (mt19937) and its torch.rand, in JavaScript: the sandbox draws the
// same mini-batches as the Python trainer for the same seed (tests/js hold it to torch).

const N = 624;
const M = 397;

/** A generator seeded as torch.Generator().manual_seed(seed): seed is a whole number
 * (a Number, BigInt or decimal string) from 0 to 2**64 - 1; mt19937 keeps its low 32 bits. */
export function makeGenerator(seed) {
  const mt = new Uint32Array(N);
  mt[0] = Number(BigInt(seed) & 0xffffffffn);
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
    // 1812433253 * prev + i, mod 2**32, without losing bits in a double
    mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
  }
  return { mt, i: N };
}

function twist(mt) {
  for (let k = 0; k < N; k++) {
    const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
    mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
  }
}

/** The next 32 random bits, as an unsigned whole number. */
export function nextU32(g) {
  if (g.i >= N) {
    twist(g.mt);
    g.i = 0;
  }
  let y = g.mt[g.i++];
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** torch.rand(n, generator=g) in float32: 24 random bits each, in [0, 1). */
export function rand(g, n) {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = (nextU32(g) & 0xffffff) / 16777216;
  return out;
}
