/**
 * The credential's Base URL. It receives the API key with every request, so it
 * must be https; plain http is allowed only to this machine (the simulator, a
 * local proxy), where nothing crosses a network. Shared by the transport and
 * the credential's own test, so both refuse the same URLs.
 */

/** localhost, 127.0.0.0/8 and [::1]. */
export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
	return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The Base URL without trailing slashes, or why it is refused. The reason names
 * the scheme and host only: the URL could carry a user and password.
 */
export function checkBaseUrl(raw: string): { url: string } | { problem: string } {
	const text = raw.trim();
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return { problem: 'The Base URL of the BHuman credential is not a URL: use https://<host>' };
	}
	if (url.protocol === 'https:') return { url: text.replace(/\/+$/, '') };
	if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
		return { url: text.replace(/\/+$/, '') };
	}
	const shown = url.protocol === 'http:' ? `http://${url.host}` : `${url.protocol}//${url.host}`;
	return {
		problem: `The Base URL of the BHuman credential must use https (got ${shown}): plain http is allowed only for localhost, 127.0.0.0/8 and [::1], since the API key goes with every request`,
	};
}

/** HTTP Basic auth of the BHuman credential: API key id and secret. */
export function basicAuth(credentials: Record<string, unknown>): {
	username: string;
	password: string;
} {
	return {
		username: String(credentials.apiKeyId ?? ''),
		password: String(credentials.apiKeySecret ?? ''),
	};
}
