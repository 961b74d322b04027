import { ApplicationError } from 'n8n-workflow';
import { basicAuth, checkBaseUrl } from '../nodes/Bhuman/transport/baseUrl';
import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	IHttpRequestOptions,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class BhumanApi implements ICredentialType {
	name = 'bhumanApi';

	displayName = 'BHuman API';

	icon: Icon = { light: 'file:../icons/bhuman.svg', dark: 'file:../icons/bhuman.dark.svg' };

	documentationUrl = 'https://github.com/bhuman-ai/n8n-nodes-bhuman#credentials';

	properties: INodeProperties[] = [
		{
			displayName:
				'Create an API key in BHuman: Settings → API keys → Generate. Copy its ID and its secret here.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'API Key ID',
			name: 'apiKeyId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'API Key Secret',
			name: 'apiKeySecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://bhuman-proxy.example.com',
			description:
				"Leave empty to use BHuman's own hosts (studio.bhuman.ai, user.bhuman.ai, store.bhuman.ai). Set it to send every request to one origin instead, with the same paths: a proxy or the local BHuman simulator. Must be https; plain http only for this machine (localhost, 127.x.x.x, [::1]), e.g. http://127.0.0.1:4010.",
		},
	];

	// HTTP Basic auth, as n8n's generic auth would set it; a function so that the credential test
	// (and any request, also from the HTTP Request node) refuses a Base URL that is not https. An
	// own property, not a method: n8n lists credential types as copies made with an object spread,
	// which drop prototype methods, and without `authenticate` in that list n8n offers the
	// credential neither to the HTTP Request node nor as the node's Custom API Call.
	authenticate: IAuthenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const baseUrl = typeof credentials.baseUrl === 'string' ? credentials.baseUrl.trim() : '';
		const checked = baseUrl ? checkBaseUrl(baseUrl) : undefined;
		if (checked && 'problem' in checked) throw new ApplicationError(checked.problem);
		return { ...requestOptions, auth: basicAuth(credentials) };
	};

	// The workspace list (the API guide's, taking the key) is cheap and read-only: a 200 proves the
	// key id and secret, and nothing is paid for. BHuman's 2026-10-02 reference promises the key only
	// for the generate routes, which this one-request test cannot call without paying: a 401/403
	// says both what it may mean and what still works.
	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{$credentials.baseUrl ? $credentials.baseUrl.replace(/\\/+$/, "") : "https://user.bhuman.ai"}}',
			url: '/api/workspace',
			method: 'GET',
		},
		rules: [401, 403].map((value) => ({
			type: 'responseCode' as const,
			properties: {
				value,
				message: `BHuman answered ${value} to its workspace list (GET /api/workspace). Check the API Key ID and API Key Secret. If they are right, BHuman serves lists to its own app only (its API reference of 2026-10-02): Generate and the ID and URL fields still work with this key; the From List pickers and Get Many do not.`,
			},
		})),
	};
}
