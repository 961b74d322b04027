/**
 * Forgets the oldest entries of `map` while the oldest is `ttlMs` old or the map holds `max` or
 * more. A Map iterates in insertion order, so this holds for maps whose entries are set once and
 * never refreshed (what a process keeps only to save work: losing an entry costs a request).
 */
export function forgetOld<K, V>(
	map: Map<K, V>,
	setAt: (value: V) => number,
	ttlMs: number,
	max: number,
	now = Date.now(),
): void {
	for (const [key, value] of map) {
		if (now - setAt(value) < ttlMs && map.size < max) return;
		map.delete(key);
	}
}
