/**
 * Which resume URLs BHuman's servers can call back (Until BHuman Calls Back refuses the others
 * before paying when the credential talks to BHuman itself): a URL's hostname as n8n's
 * `$execution.resumeUrl` gives it, IPv6 literals in brackets as the URL parser writes them.
 */
import { unreachableHost } from '../../nodes/Bhuman/helpers/callbacks';

const host = (url: string) => new URL(url).hostname;

describe('resume URL hosts BHuman can reach', () => {
	test.each([
		'https://n8n.example.com/webhook-waiting/1',
		'https://203.0.113.7/webhook-waiting/1',
		'https://[2001:db8::1]/webhook-waiting/1',
		'https://[2a00:1450:4001:81b::200e]:5678/webhook-waiting/1',
		'https://[::ffff:8.8.8.8]/webhook-waiting/1',
	])('%s is reachable', (url) => {
		expect(unreachableHost(host(url))).toBe(false);
	});

	test.each([
		'http://localhost:5678/webhook-waiting/1',
		'http://127.0.0.1:5678/webhook-waiting/1',
		'http://10.1.2.3/webhook-waiting/1',
		'http://172.20.0.5/webhook-waiting/1',
		'http://192.168.1.10/webhook-waiting/1',
		'http://169.254.1.1/webhook-waiting/1',
		'http://n8n/webhook-waiting/1',
		'http://n8n.local/webhook-waiting/1',
		'http://[::1]:5678/webhook-waiting/1',
		'http://[fe80::1]/webhook-waiting/1',
		'http://[fd12:3456::1]/webhook-waiting/1',
		'http://[::ffff:10.0.0.1]/webhook-waiting/1',
		'http://[::ffff:127.0.0.1]/webhook-waiting/1',
	])('%s is not', (url) => {
		expect(unreachableHost(host(url))).toBe(true);
	});
});
