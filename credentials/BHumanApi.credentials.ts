import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

export class BHumanApi implements ICredentialType {
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
			placeholder: 'e.g. http://127.0.0.1:4010',
			description:
				"Leave empty to use BHuman's own hosts (studio.bhuman.ai, user.bhuman.ai, store.bhuman.ai). Set it to send every request to one origin instead, with the same paths: the local BHuman simulator or a proxy.",
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			auth: {
				username: '={{$credentials.apiKeyId}}',
				password: '={{$credentials.apiKeySecret}}',
			},
		},
	};

	// The workspace list is cheap and read-only: a 200 proves the key id and secret.
	test: ICredentialTestRequest = {
		request: {
			baseURL:
				'={{$credentials.baseUrl ? $credentials.baseUrl.replace(/\\/+$/, "") : "https://user.bhuman.ai"}}',
			url: '/api/workspace',
			method: 'GET',
		},
	};
}
