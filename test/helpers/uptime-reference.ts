// sipa's uptime EMA (seeder db.h CAddrStat, db.cpp CAddrInfo::Update) in closed form over a list
// of tries, not through the store's recursion: the oracle the uptime tests compare against.

/** The five windows, seconds: 2 h, 8 h, 1 d, 7 d, 30 d. */
export const TAUS_S = [7200, 28800, 86400, 604800, 2592000]

/** Per window, after tries at `times` (s) with outcomes `goods`; the first try's age is 1000 s, as in the seeder. */
export function uptimeReference (times: number[], goods: boolean[]): Array<{ reliability: number, weight: number, count: number }> {
  const last = times[times.length - 1]
  return TAUS_S.map((tau) => {
    let reliability = 0
    let count = 0
    for (let i = 0; i < times.length; i++) {
      const age = i === 0 ? 1000 : times[i] - times[i - 1]
      const later = Math.exp(-(last - times[i]) / tau)
      if (goods[i]) reliability += (1 - Math.exp(-age / tau)) * later
      count += later
    }
    // Σ (1 - e^(-age_i/τ))·e^(-(T - t_i)/τ) telescopes to 1 - e^(-(T - t_0 + 1000)/τ).
    return { reliability, weight: 1 - Math.exp(-(last - times[0] + 1000) / tau), count }
  })
}
