/**
 * The trigger's shared secret: where a callback carries it and how it is compared.
 */
import { createHash, timingSafeEqual } from 'crypto';

/** Header that may carry the token instead of the `token` query parameter. */
export const TOKEN_HEADER = 'x-bhuman-token';
export const TOKEN_QUERY = 'token';

export type TokenCheck = 'missing' | 'wrong' | 'ok';

function digest(value: string): Buffer {
	return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Constant-time comparison. Both sides are hashed first, so the buffers compared
 * have the same length whatever was sent, and the time taken says nothing about
 * the token's length or how much of it matched.
 */
export function tokensEqual(given: string, expected: string): boolean {
	return timingSafeEqual(digest(given), digest(expected));
}

function firstString(value: unknown): string | undefined {
	if (Array.isArray(value)) return firstString(value[0]);
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Checks the token a callback carries (query `token` or header `X-BHuman-Token`)
 * against the expected one. Every candidate is compared, so the answer takes the
 * same time whichever of them matched.
 */
export function checkToken(
	expected: string,
	query: Record<string, unknown> | undefined,
	headers: Record<string, unknown> | undefined,
): TokenCheck {
	const candidates = [
		firstString(query?.[TOKEN_QUERY]),
		firstString(headers?.[TOKEN_HEADER]),
	].filter((value): value is string => value !== undefined);
	if (candidates.length === 0) return 'missing';
	let matched = false;
	for (const candidate of candidates) {
		if (tokensEqual(candidate, expected)) matched = true;
	}
	return matched ? 'ok' : 'wrong';
}

/**
 * Characters a token may use: RFC 3986's unreserved set, which a URL carries as typed. Any
 * other breaks when the token is pasted raw into the Callback URL (`+` arrives as a space, `&`
 * and `#` cut it, `%` starts an escape), and the callback is refused with 403.
 */
export const URL_SAFE_TOKEN = /^[A-Za-z0-9._~-]+$/;

/** Why a token cannot go into a Callback URL as typed, or undefined when it can (or is empty). */
export function tokenProblem(token: string): string | undefined {
	if (token === '' || URL_SAFE_TOKEN.test(token)) return undefined;
	return 'The Token may only contain letters, digits and the characters - . _ ~ (it goes into the Callback URL as typed). Choose another token.';
}
