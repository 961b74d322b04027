'use strict';
// The UI test's steps, in order, each building on the one before: what a new user does in n8n's
// editor with this package. Each step asserts what is on the screen and returns a line saying what
// it asserted; the runner saves a screenshot after each (`doc` names the ones the README shows).
// Selectors are n8n's data-test-id attributes (its own Playwright tests use the same ones).

const assert = require('node:assert/strict');
const path = require('node:path');
const { rl, manualTriggerNode, bhumanNode, codeNode, chain } = require('../e2e/lib/workflows');
const { nodeOutput } = require('../../scripts/lib/n8n');
const { waitFor } = require('../../scripts/lib/procs');

/** The node's actions as n8n's node creator counts them: every operation option with an action (read from the build the test installed). */
const actionCount = () => {
	const { Bhuman } = require(path.join(__dirname, '..', '..', 'dist', 'nodes', 'Bhuman', 'Bhuman.node.js'));
	return new Bhuman().description.properties
		.filter((p) => p.name === 'operation' && p.type === 'options')
		.flatMap((p) => p.options.filter((o) => o.action)).length;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LEADS = [
	{ first_name: 'Grace', company: 'Hopper Labs', email: 'grace@example.com' },
	{ first_name: 'Alan', company: 'Turing Ltd', email: 'alan@example.com' },
];
const ROWS = [
	{ first_name: 'Don', company: 'Apple' },
	{ first_name: 'James', company: 'Google' },
	{ first_name: 'Ada', company: 'Lovelace Ltd' },
];

/** What the user reads in an element: its text and the values of its inputs. */
const screenText = (locator) =>
	locator.evaluate((el) => [el.innerText, ...[...el.querySelectorAll('input, textarea')].map((i) => i.value)].join('\n'));

/** Waits until the locator's text (and input values) match re; the error shows what was there. */
async function waitText(locator, re, what, timeoutMs = 45000) {
	const deadline = Date.now() + timeoutMs;
	let text = '';
	for (;;) {
		text = (await screenText(locator).catch(() => '')) || '';
		if (re.test(text)) return text;
		if (Date.now() > deadline) throw new Error(`${what}: expected ${re}, the screen shows ${JSON.stringify(text.slice(0, 400))}`);
		await new Promise((r) => setTimeout(r, 200));
	}
}

/** The node creator: searches, returns the visible item names. */
async function searchNodeCreator(page, term) {
	await page.getByTestId('node-creator-search-bar').fill(term);
	await page.waitForTimeout(400);
	return page.getByTestId('node-creator').getByTestId('node-creator-item-name').allInnerTexts();
}

/** Every icon image shown in the locator has loaded from this package's icon route. */
async function packageIcons(locator) {
	const imgs = await locator.locator('img').evaluateAll((els) => els.map((e) => ({ src: e.src, ok: e.complete && e.naturalWidth > 0 })));
	const ours = imgs.filter((i) => i.src.includes('/icons/n8n-nodes-bhuman/'));
	assert.ok(ours.length > 0, `no BHuman icon among the images shown: ${JSON.stringify(imgs)}`);
	const broken = ours.filter((i) => !i.ok);
	assert.deepEqual(broken, [], 'BHuman icons that did not load');
	return ours.length;
}

async function openBhumanInNodeCreator(page) {
	await searchNodeCreator(page, 'BHuman');
	await page.getByTestId('node-creator').getByTestId('node-creator-item-name').filter({ hasText: /^BHuman$/ }).click();
	await page.getByTestId('node-creator-category-item').first().waitFor();
}

/** Sets a fixed-collection variable: the name, and the value typed as an expression. */
async function setVariable(page, i, name, expression) {
	const vars = page.getByTestId('fixed-collection-variables');
	await vars.getByTestId('parameter-input-name').nth(i).locator('input').fill(name);
	// typing "{{" into a fixed value switches it to an expression, as for a user
	await vars.getByTestId('parameter-input-value').nth(i).locator('input').click();
	await page.keyboard.type('{{ ');
	const editor = vars.getByTestId('parameter-input-value').nth(i).getByTestId('inline-expression-editor-input');
	await editor.click();
	await page.keyboard.press('ControlOrMeta+A');
	await page.keyboard.press('Delete');
	await page.keyboard.insertText(expression);
}

/** Closes n8n's toasts (they would cover the output in the screenshots). */
async function closeToasts(page) {
	const close = page.locator('.el-notification .el-notification__closeBtn');
	for (let n = await close.count(); n > 0; n = await close.count()) {
		await close.first().click().catch(() => {});
		await page.waitForTimeout(150);
	}
}

async function blurParameters(page) {
	await page.getByTestId('node-parameters').getByText('Input Mode', { exact: true }).click();
	await page.waitForTimeout(300);
}

/** Manual Trigger → Leads → BHuman (Video → Generate, Until BHuman Calls Back) → Email (each lead through itemMatching). */
function callbackWaitWorkflow(instanceId, credential) {
	const bhuman = bhumanNode(
		{
			resource: 'video',
			operation: 'generate',
			videoInstanceId: rl(instanceId),
			inputMode: 'mapping',
			variables: { variable: [{ name: 'name', value: '={{ $json.first_name }}' }, { name: 'company', value: '={{ $json.company }}' }] },
			waitForCompletion: true,
			waitMethod: 'callback',
			maxWait: 30,
		},
		credential,
	);
	const email = codeNode("return $input.all().map((item, i) => ({ json: { to: $('Leads').itemMatching(i).json.email, video: item.json.pageUrl, status: item.json.status } }));", { name: 'Email' });
	const leads = codeNode(LEADS, { name: 'Leads' });
	return chain('Callback wait in the editor', [manualTriggerNode({ name: 'When clicking ‘Execute workflow’' }), leads, bhuman, email]);
}

const videoInstance = (page) => page.getByTestId('resource-locator-videoInstanceId');
const videoInstanceItem = (page) => page.getByTestId('parameter-item').filter({ has: videoInstance(page) });

module.exports = [
	{
		id: 'login',
		name: 'log in on the sign-in page',
		async run({ page, n8n, owner }) {
			await page.goto(`${n8n}/signin`);
			await page.getByTestId('signin-form').waitFor();
			await page.getByTestId('emailOrLdapLoginId').locator('input').fill(owner.email);
			await page.getByTestId('password').locator('input').fill(owner.password);
			await page.getByTestId('form-submit-button').click();
			await page.waitForURL((u) => !u.pathname.includes('signin'));
			await page.getByTestId('project-home-menu-item').waitFor();
			const start = await waitText(page.locator('main, #app').first(), /build your first automation|Create workflow/i, 'the start page');
			return `signed in as ${owner.email}: left /signin for ${new URL(page.url()).pathname}, which offers "${/build your first automation/i.test(start) ? 'Build a workflow' : 'Create workflow'}"`;
		},
	},
	{
		id: 'new-workflow',
		name: 'create a workflow',
		async run({ page }) {
			// a new instance shows "Let's build your first automation" → "Build a workflow"; later, "Create workflow"
			const first = page.getByText('Build a workflow', { exact: true });
			if (await first.isVisible().catch(() => false)) await first.click();
			else await page.getByTestId('add-resource-workflow').click();
			await page.waitForURL(/\/workflow\//);
			await waitText(page.getByTestId('canvas-add-button'), /Add first step/, 'empty canvas');
			return `the editor opened ${new URL(page.url()).pathname} with an empty canvas ("Add first step")`;
		},
	},
	{
		id: 'search-trigger',
		name: 'node creator on the empty canvas: search "BHuman" finds the trigger, with its icon',
		async run({ page }) {
			await page.getByTestId('canvas-plus-button').click();
			const names = await searchNodeCreator(page, 'BHuman');
			assert.deepEqual(names, ['BHuman'], 'items for "BHuman" among the triggers');
			await waitText(page.getByTestId('node-creator'), /BHuman calls back/, 'the trigger\'s description');
			const icons = await packageIcons(page.getByTestId('node-creator'));
			return `one item "BHuman" (the trigger: "…when BHuman calls back…"), ${icons} BHuman icon loaded`;
		},
	},
	{
		id: 'code-rows',
		name: 'start with Manual Trigger and a Code node returning 3 rows',
		async run({ page }) {
			await searchNodeCreator(page, 'manual');
			await page.keyboard.press('Enter');
			await page.locator('[data-test-id=canvas-node][data-node-type="n8n-nodes-base.manualTrigger"]').waitFor();
			await page.locator('[data-test-id=canvas-node][data-node-type="n8n-nodes-base.manualTrigger"]').getByTestId('canvas-handle-plus-wrapper').click();
			await searchNodeCreator(page, 'Code');
			await page.keyboard.press('Enter');
			await page.getByTestId('node-creator').getByText('Code in JavaScript').click();
			const editor = page.getByTestId('parameter-input-jsCode').locator('.cm-content');
			await editor.click();
			await page.keyboard.press('ControlOrMeta+A');
			await page.keyboard.press('Delete');
			await page.keyboard.insertText(`return ${JSON.stringify(ROWS, null, 1)}.map((json) => ({ json }));`);
			await waitText(editor, /Lovelace Ltd/, 'the Code node\'s code');
			await page.getByTestId('ndv-close-button').click();
			const nodes = await page.getByTestId('canvas-node').evaluateAll((els) => els.map((e) => e.dataset.nodeType));
			assert.deepEqual(nodes, ['n8n-nodes-base.manualTrigger', 'n8n-nodes-base.code']);
			return 'canvas: Manual Trigger → Code (3 rows: Don/Apple, James/Google, Ada/Lovelace Ltd)';
		},
	},
	{
		id: 'node-panel',
		doc: 'node-panel.png',
		name: 'node creator after Code: "BHuman" lists the action node\'s actions (one per operation) and the trigger\'s 4 events, with icons',
		async run({ page }) {
			await page.locator('[data-test-id=canvas-node][data-node-type="n8n-nodes-base.code"]').getByTestId('canvas-handle-plus-wrapper').click();
			const ACTIONS = actionCount();
			const names = await searchNodeCreator(page, 'BHuman');
			assert.deepEqual(names, ['BHuman'], 'n8n shows the two nodes as one app item');
			await openBhumanInNodeCreator(page);
			const creator = page.getByTestId('node-creator');
			await waitText(creator.getByTestId('node-creator-category-item').first(), new RegExp(`Actions \\(${ACTIONS}\\)`), 'actions of the BHuman node');
			await waitText(creator, /VIDEO ACTIONS[\s\S]*Generate personalized videos/, 'Video → Generate in the list');
			const icons = await packageIcons(creator);
			return `"BHuman" → "Actions (${ACTIONS})" with "Generate personalized videos" under VIDEO ACTIONS, and "Triggers (4)"; ${icons} BHuman icons loaded`;
		},
	},
	{
		id: 'trigger-events',
		name: 'the trigger\'s events are listed under Triggers (4)',
		async run({ page }) {
			const creator = page.getByTestId('node-creator');
			await creator.getByTestId('node-creator-category-item').filter({ hasText: /Triggers \(4\)/ }).click();
			const names = await creator.getByTestId('node-creator-item-name').allInnerTexts();
			for (const ev of ['On video succeeded', 'On video failed', 'On other status']) assert.ok(names.includes(ev), `"${ev}" among ${JSON.stringify(names)}`);
			return `Triggers: ${names.filter((n) => n.startsWith('On ')).join(', ')}`;
		},
	},
	{
		id: 'generate-added',
		name: 'add BHuman → Video → Generate',
		async run({ page }) {
			await page.getByTestId('node-creator').getByText('Generate personalized videos').click();
			const ndv = page.getByTestId('ndv');
			await ndv.waitFor();
			await waitText(ndv.getByTestId('node-title-container'), /Generate personalized videos/, 'the node\'s title');
			await waitText(page.getByTestId('parameter-input-resource'), /Video/, 'Resource');
			assert.equal(await page.getByTestId('parameter-input-resource').locator('input').inputValue(), 'Video');
			assert.equal(await page.getByTestId('parameter-input-operation').locator('input').inputValue(), 'Generate');
			await waitText(page.getByTestId('node-credentials-empty-state'), /Connect to BHuman/, 'the credential slot');
			return 'the node panel opened: Resource "Video", Operation "Generate", credential slot "Connect to BHuman"';
		},
	},
	{
		id: 'credential',
		name: 'credential dialog: a wrong secret fails clearly, the right one tests OK',
		async run({ page, sim, shot }) {
			await page.getByTestId('node-credentials-empty-state').click();
			const modal = page.getByTestId('editCredential-modal');
			await modal.waitFor();
			await modal.getByTestId('parameter-input-apiKeyId').locator('input').fill(sim.keyId);
			await modal.getByTestId('parameter-input-apiKeySecret').locator('input').fill('not-the-secret');
			await modal.getByTestId('parameter-input-baseUrl').locator('input').fill(sim.url);
			const failedTest = page.waitForResponse((r) => r.url().includes('/rest/credentials/test'));
			await modal.getByTestId('credential-save-button').click();
			const failedBody = await (await failedTest).json();
			assert.equal(failedBody.data?.status, 'Error', `credential test with a wrong secret: ${JSON.stringify(failedBody)}`);
			await waitText(modal, /Couldn.t connect with these settings/, 'the failure banner');
			await modal.getByText('More details').click();
			const why = failedBody.data.message;
			await waitText(modal, new RegExp(why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the failure details');
			const details = await modal.innerText(); // the text (the inputs hold what was typed)
			assert.ok(details.includes(why), `the dialog shows n8n's message "${why}"`);
			assert.ok(!details.includes('not-the-secret') && !details.includes(sim.keySecret), 'no secret on screen');
			await shot('credential-wrong-secret.png');

			await modal.getByTestId('parameter-input-apiKeySecret').locator('input').fill(sim.keySecret);
			const okTest = page.waitForResponse((r) => r.url().includes('/rest/credentials/test'));
			await modal.getByTestId('credential-save-button').click();
			const okBody = await (await okTest).json();
			assert.equal(okBody.data?.status, 'OK', `credential test with the right secret: ${JSON.stringify(okBody)}`);
			await modal.waitFor({ state: 'hidden' });
			await waitText(page.getByTestId('node-credentials-select'), /BHuman account/, 'the node\'s credential');
			await closeToasts(page);
			return `wrong secret: "Couldn’t connect with these settings", details "${why}" (no secret shown); right secret: test OK, the dialog closed, the node uses "BHuman account"`;
		},
	},
	{
		id: 'list-search',
		doc: 'list-search.png',
		name: 'Video Instance → From List shows the simulator\'s instances; typing filters them',
		async run({ page, sim }) {
			const firstPage = (await sim.api('/api/ai_studio/video_instances?page=0&size=100')).instances;
			await videoInstance(page).getByTestId('rlc-input').click();
			const items = page.getByTestId('rlc-item');
			await items.first().waitFor();
			const shown = await items.allInnerTexts();
			assert.deepEqual(shown.slice(0, 10), firstPage.slice(0, 10).map((i) => i.name), 'the first ten entries are BHuman\'s first ten instances');
			await page.getByTestId('rlc-search').fill('Acme');
			const expected = firstPage.filter((i) => /acme/i.test(i.name)).map((i) => i.name);
			assert.ok(expected.length > 0, 'the simulator has instances named …Acme');
			const deadline = Date.now() + 45000;
			let filtered = [];
			while (Date.now() < deadline) {
				filtered = await items.allInnerTexts();
				if (filtered.length && filtered.every((n) => /acme/i.test(n))) break;
				await page.waitForTimeout(200);
			}
			assert.deepEqual(filtered.slice(0, expected.length), expected, 'the filtered list');
			return `${shown.length} instances listed, the first ten in BHuman's order ("${shown[0]}", …); "Acme" leaves ${filtered.length}: ${filtered.join(', ')}`;
		},
	},
	{
		id: 'by-url',
		name: 'By URL: a wrong URL shows the validation message, an instance URL is accepted',
		async run({ page, sim, shot }) {
			const instance = (await sim.api('/api/ai_studio/video_instances?page=0&size=1')).instances[0];
			await page.keyboard.press('Escape');
			await videoInstance(page).getByTestId('rlc-mode-selector').click();
			await page.getByRole('option', { name: 'By URL' }).click();
			const input = videoInstance(page).getByTestId('rlc-input');
			await input.fill(`https://app.bhuman.ai/campaign/generatedVideos/${instance.id}`);
			await blurParameters(page);
			const issues = videoInstanceItem(page).getByTestId('parameter-issues');
			await issues.waitFor();
			await issues.locator('span').first().hover();
			const tip = await waitText(page.locator('.n8n-tooltip:visible').last(), /Not a BHuman video instance URL: paste one like https:\/\/app\.bhuman\.ai\/instance\/ followed by its ID/, 'the validation tooltip');
			await shot('by-url-invalid.png');
			await input.fill(`https://app.bhuman.ai/instance/${instance.id}`);
			await blurParameters(page);
			await issues.waitFor({ state: 'detached' });
			return `a campaign URL: warning icon with "${tip.replace(/\s+/g, ' ').trim()}"; https://app.bhuman.ai/instance/${instance.id}: no issue`;
		},
	},
	{
		id: 'variables',
		doc: 'generate-configured.png',
		name: 'two variables with expressions',
		async run({ page }) {
			await page.getByTestId('fixed-collection-add').click();
			await setVariable(page, 0, 'name', '{{ $json.first_name }}');
			await page.getByTestId('fixed-collection-add').click();
			await setVariable(page, 1, 'company', '{{ $json.company }}');
			await blurParameters(page);
			const vars = page.getByTestId('fixed-collection-variables');
			const values = await vars.getByTestId('inline-expression-editor-input').locator('.cm-content').allInnerTexts();
			assert.deepEqual(values, ['{{ $json.first_name }}', '{{ $json.company }}']);
			const names = await vars.getByTestId('parameter-input-name').locator('input').evaluateAll((els) => els.map((e) => e.value));
			assert.deepEqual(names, ['name', 'company']);
			// with the Code node's rows as input, the editors preview the first row's values
			await page.getByTestId('execute-previous-node').click();
			await waitText(page.getByTestId('ndv-input-panel'), /3 items/, 'the input panel', 120000);
			const previews = await waitText(vars, /Don[\s\S]*Apple/, 'the expressions\' previews');
			assert.doesNotMatch(previews, /ERROR/, 'no expression error shown');
			await closeToasts(page);
			return 'Variables: name = {{ $json.first_name }}, company = {{ $json.company }} (expression editors); after "Execute previous nodes" (3 items in) they preview "Don" and "Apple"';
		},
	},
	{
		id: 'execute',
		doc: 'execution-output.png',
		name: 'Execute step: 3 rows in, 3 items out with generation ids',
		async run({ page, sim }) {
			await page.getByTestId('node-execute-button').click();
			const out = page.getByTestId('output-panel');
			await waitText(out.getByTestId('ndv-items-count'), /^3 items$/, 'the output\'s item count', 120000);
			// The count shows before the table has rendered its rows (seen on a loaded machine).
			const readRows = () => out.locator('table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
			let rows = await readRows();
			for (const deadline = Date.now() + 30000; rows.length !== 3 && Date.now() < deadline; rows = await readRows()) {
				await page.waitForTimeout(200);
			}
			assert.equal(rows.length, 3, `output rows: ${JSON.stringify(rows)}; the output panel shows ${JSON.stringify((await out.innerText().catch(() => '')).slice(0, 300))}`);
			const ids = rows.map((r) => r[0]);
			for (const id of ids) assert.match(id, UUID);
			for (const [i, id] of ids.entries()) {
				const gen = await sim.api(`/api/ai_studio/generated_video_by_id?id=${id}`);
				const text = JSON.stringify(gen);
				assert.ok(text.includes(ROWS[i].first_name) && text.includes(ROWS[i].company), `BHuman's generation ${id} holds row ${i}: ${text.slice(0, 300)}`);
			}
			await waitText(page.getByTestId('ndv-input-panel'), /3 items/, 'the input panel');
			await closeToasts(page);
			return `"3 items" in the output; ids ${ids.join(', ')}, each a generation the simulator holds with its row's name and company`;
		},
	},
	{
		id: 'trigger-panel',
		doc: 'trigger-panel.png',
		name: 'add a BHuman Trigger: its panel, notice and Production URL',
		async run({ page, n8n }) {
			await page.getByTestId('ndv-close-button').click();
			// click empty canvas first: with a node selected, n8n would connect the new node after it
			await page.getByTestId('canvas-wrapper').click({ position: { x: 120, y: 160 } });
			await page.getByTestId('node-creator-plus-button').click();
			await openBhumanInNodeCreator(page);
			await page.getByTestId('node-creator-category-item').filter({ hasText: /Triggers/ }).click();
			await page.getByTestId('node-creator').getByText('On video succeeded').click();
			const ndv = page.getByTestId('ndv');
			await waitText(ndv.getByTestId('node-title-container'), /BHuman Trigger/, 'the trigger\'s title');
			const params = ndv.getByTestId('node-parameters');
			const header = await waitText(params.locator('[title="Click to display webhook URLs"], [title="Click to hide webhook URLs"]').first(), /Webhook URLs/, 'Webhook URLs');
			await params.locator('[title="Click to display webhook URLs"]').click().catch(() => {});
			await ndv.getByTestId('radio-button-production').click();
			const url = (await ndv.locator('.webhook-url').innerText()).trim();
			const expected = new RegExp(`^${n8n.replace(/[.]/g, '\\.')}/webhook/[0-9a-f-]{36}/bhuman$`);
			assert.match(url, expected, 'the Production URL');
			await waitText(params, /Video Succeeded/, 'Events');
			const text = await params.innerText();
			assert.match(text, /Token/, 'the Token field');
			// No token and Verify off: the node warns that anyone with the URL can start the workflow.
			assert.match(text, /Anyone who learns this URL/, 'the unprotected-trigger warning');
			// The trigger panel (n8n's triggerPanel) tells where the Production URL goes.
			const panel = await waitText(ndv, /Callback URL of the BHuman node/, 'the trigger panel header');
			return `"${header.trim()}" → Production URL ${url}; Events "Video Succeeded"; Token field; unprotected warning; trigger panel "${/Copy the Production URL[^\n]*/.exec(panel)?.[0] ?? ''}"`;
		},
	},
	{
		id: 'schema-preview',
		doc: 'schema-preview.png',
		name: 'a node after an unexecuted Video → Generate: its input panel previews pageUrl, mp4Url and status (the output schema)',
		async run({ page }) {
			await page.getByTestId('ndv-close-button').click();
			await page.getByTestId('canvas-wrapper').click({ position: { x: 120, y: 160 } }); // nothing selected: the new node stands alone
			await page.getByTestId('node-creator-plus-button').click();
			await openBhumanInNodeCreator(page);
			await page.getByTestId('node-creator').getByText('Generate personalized videos').click();
			await waitText(page.getByTestId('ndv').getByTestId('node-title-container'), /Generate personalized videos/, 'the new node\'s title');
			const generateName = (await page.getByTestId('ndv').getByTestId('node-title-container').innerText()).trim();
			await page.getByTestId('ndv-close-button').click();
			const generate = page.locator('[data-test-id=canvas-node][data-node-type="n8n-nodes-bhuman.bhuman"]').filter({ hasText: generateName });
			// The node's version 1.1 (what the editor adds): n8n asks for its schema under 1.1.0.
			const schemaAsked = page.waitForResponse((r) => r.url().includes('/schemas/n8n-nodes-bhuman.bhuman/1.1.0/video/generate.json'));
			await generate.getByTestId('canvas-handle-plus-wrapper').click();
			await searchNodeCreator(page, 'No Operation');
			await page.getByTestId('node-creator').getByTestId('node-creator-item-name').filter({ hasText: /^No Operation, do nothing$/ }).click();
			const schemaResponse = await schemaAsked;
			assert.equal(schemaResponse.status(), 200, `the editor's request ${schemaResponse.url()}`);
			const input = page.getByTestId('ndv-input-panel');
			const shown = await waitText(input, /Usually outputs the following fields[\s\S]*pageUrl[\s\S]*mp4Url/, 'the input panel\'s schema preview');
			assert.match(shown, /\bstatus\b/, 'status in the preview');
			assert.doesNotMatch(shown, /\b\d+ items?\b/, 'no items: the preview is the schema, not run data');
			await closeToasts(page);
			return `"${generateName}" (not executed) → No Operation: the editor fetched ${new URL(schemaResponse.url()).pathname} (200); the input panel says "Usually outputs the following fields" and lists pageUrl, mp4Url, status`;
		},
	},
	{
		id: 'credential-retest',
		name: 'credential dialog from the Overview: the saved credential tests OK again, its secret is not shown',
		async run({ page, sim }) {
			await page.getByTestId('ndv-close-button').click();
			await page.keyboard.press('ControlOrMeta+s'); // save the workflow, as a user would before leaving
			await page.getByTestId('project-home-menu-item').click();
			const unsaved = page.getByRole('dialog').filter({ hasText: 'Save changes before leaving?' });
			const quiet = (p) => p.catch(() => {}); // the loser of the race must not reject unhandled
			await Promise.race([quiet(unsaved.waitFor()), quiet(page.getByTestId('project-tabs').waitFor())]);
			if (await unsaved.isVisible()) await unsaved.getByRole('button', { name: 'Save', exact: true }).click();
			await page.getByTestId('project-tabs').getByText('Credentials').click();
			await page.getByText('BHuman account').first().click();
			const modal = page.getByTestId('editCredential-modal');
			await modal.waitFor();
			const secret = await modal.getByTestId('parameter-input-apiKeySecret').locator('input').inputValue();
			assert.ok(!secret.includes(sim.keySecret), 'the dialog does not show the saved secret');
			const retest = page.waitForResponse((r) => r.url().includes('/rest/credentials/test'), { timeout: 45000 });
			const retry = modal.getByText('Retry', { exact: true });
			if (await retry.isVisible().catch(() => false)) await retry.click();
			const body = await (await retest).json();
			assert.equal(body.data?.status, 'OK', JSON.stringify(body));
			await waitText(modal, /Connection tested successfully/, 'the success banner');
			return '"BHuman account" opened from Overview → Credentials; the test ran: "Connection tested successfully"; the secret field does not hold the secret';
		},
	},
	{
		id: 'callback-wait',
		doc: 'callback-wait.png',
		name: 'Execute workflow with Until BHuman Calls Back: the node shows it waits, BHuman\'s callbacks resume the run, its output panel shows each lead\'s video',
		async run({ page, n8n, sim, env, shot }) {
			await page.keyboard.press('Escape'); // the credential dialog of the step before
			await page.getByTestId('editCredential-modal').waitFor({ state: 'hidden' });
			const credential = (await env.client.request('GET', '/rest/credentials')).find((c) => c.type === 'bhumanApi');
			const instance = (await sim.data()).videoInstances[0];
			const saved = await env.client.createWorkflow(callbackWaitWorkflow(instance.id, credential));
			// Renders that end when this step says (BHuman's take minutes): the wait is on screen until then.
			const { render } = await sim.control('GET', '/__sim/state');
			await sim.control('POST', '/__sim/render', { queuedMs: 500, processingMs: 600000, staggerMs: 0 });
			try {
				await page.goto(`${n8n}/workflow/${saved.id}`);
				const node = page.locator('[data-test-id=canvas-node][data-node-type="n8n-nodes-bhuman.bhuman"]');
				await node.waitFor();
				await page.getByTestId('execute-workflow-button').click();

				// n8n records the wait (a manual execution, waiting) and the canvas shows the node waiting.
				const waiting = await waitFor('the execution to wait', async () => (await env.client.listExecutions(saved.id)).find((e) => e.status === 'waiting'), { timeoutMs: 120000, intervalMs: 300 });
				assert.equal(waiting.mode, 'manual', 'the waiting execution is a manual one');
				await node.locator('.waiting').waitFor();
				await shot('callback-wait-canvas.png');
				await node.dblclick();
				const out = page.getByTestId('output-panel');
				const waitingText = await waitText(out, /Waiting for input\s*Execution will continue when BHuman has called back for every video/, 'the output panel while the node waits');
				await shot('callback-wait-waiting.png');

				// BHuman finishes each video and calls back: the run resumes, the editor shows its output.
				const ids = (nodeOutput(await env.client.getExecution(waiting.id), 'BHuman') || []).map((item) => item.json.id);
				assert.equal(ids.length, LEADS.length, 'the waiting node holds a generation id per lead');
				for (const id of ids) await sim.control('POST', `/__sim/generations/${id}/complete`, { status: 'succeeded' });
				await waitText(out.getByTestId('ndv-items-count'), new RegExp(`^${LEADS.length} items$`), 'the output\'s item count after the resume', 120000);
				const shown = await waitText(out, new RegExp(ids.map((id) => `${id}[\\s\\S]*`).join('') + 'succeeded'), 'the resumed output');
				assert.ok((shown.match(/\bsucceeded\b/g) || []).length >= LEADS.length, `each video succeeded in ${JSON.stringify(shown.slice(0, 400))}`);
				// The JSON view: each video's status and URLs, as the next node (an email) maps them.
				await out.getByTestId('ndv-run-data-display-mode').getByText('JSON', { exact: true }).click();
				await waitText(out, /"status":\s*"succeeded"[\s\S]*"pageUrl":\s*"http/, 'the resumed output as JSON');
				const ex = await waitFor('the execution to end', async () => {
					const e = await env.client.getExecution(waiting.id);
					return !['new', 'running', 'waiting'].includes(e.status) && e;
				}, { intervalMs: 300 });
				assert.equal(ex.status, 'success', `execution ${waiting.id} ended ${ex.status}`);
				const emails = (nodeOutput(ex, 'Email') || []).map((item) => item.json.to);
				assert.deepEqual(emails, LEADS.map((l) => l.email), 'each lead\'s email at the last step');
				await closeToasts(page);
				return `execution ${waiting.id} (manual) waiting: the canvas marks the node waiting, its output panel says "${waitingText.replace(/\s+/g, ' ').trim().slice(0, 160)}"; after BHuman's callbacks: "${LEADS.length} items" with ${ids.join(', ')} succeeded; the run ended success with emails to ${emails.join(', ')}`;
			} finally {
				await sim.control('POST', '/__sim/render', render);
			}
		},
	},
];
