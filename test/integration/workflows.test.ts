/**
 * The workflow fixtures of test/workflows (one `*.workflow.json` per case, expected output in its
 * pinData, the API requests in `requests`), run through n8n's engine against the seeded simulator
 * the way n8n's packages/core/nodes-testing runs its nodes' fixtures.
 */
import { fromRoot } from '../host';
import { testWorkflowFixtures } from '../helpers/engine';
import { withSimulator } from '../helpers/sim';

// As in test/workflows/make-fixtures.js, which wrote the expected outputs.
const h = withSimulator({ sizes: { generatedVideosPerCampaign: 130 } });

describe('workflow fixtures', () => {
	const files = testWorkflowFixtures(fromRoot('test', 'workflows'), h);

	test('there is a fixture for every read operation', () => {
		expect(files.length).toBeGreaterThanOrEqual(20);
	});
});
