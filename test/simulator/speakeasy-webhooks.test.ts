/**
 * The simulator's Speakeasy project and saved webhook routes (shapes assumed, see the README).
 */
import { startSimulator, type Simulator } from '../../simulator';
import { readJson } from '../helpers/http';

let sim: Simulator;
let auth: string;

beforeAll(async () => {
	sim = await startSimulator();
	auth = `Basic ${Buffer.from(`${sim.keyId}:${sim.keySecret}`).toString('base64')}`;
});
afterAll(async () => await sim.close());
beforeEach(() => sim.reset());

async function api(path: string, body?: unknown) {
	const res = await fetch(sim.url + path, {
		method: body === undefined ? 'GET' : 'POST',
		headers: { authorization: auth, 'content-type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: res.status, body: await readJson(res) };
}

const S = '/api/ai_studio';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

test('lists seeded projects and webhooks as bare arrays, deterministically', async () => {
	const projects = await api(`${S}/speakeasy_projects`);
	expect(projects.status).toBe(200);
	expect(projects.body).toEqual(sim.data.speakeasyProjects);
	expect(projects.body).toHaveLength(6);
	expect((await api(`${S}/webhook`)).body).toEqual(sim.data.savedWebhooks);
	const again = await startSimulator();
	expect(again.data.speakeasyProjects).toEqual(sim.data.speakeasyProjects);
	await again.close();
});

test('import validates, creates a video instance in a new folder, and reset removes it', async () => {
	const project = sim.data.speakeasyProjects[0];
	expect((await api(`${S}/speakeasy_projects/import`, {})).status).toBe(422);
	expect((await api(`${S}/speakeasy_projects/import`, { project_id: 'x' })).status).toBe(422);
	expect((await api(`${S}/speakeasy_projects/import`, { project_id: UNKNOWN })).status).toBe(404);
	expect(
		(await api(`${S}/speakeasy_projects/import`, { project_id: project.id, workspace_id: UNKNOWN }))
			.status,
	).toBe(404);
	const before = sim.data.videoInstances.length;
	const ok = await api(`${S}/speakeasy_projects/import`, { project_id: project.id });
	expect(ok.status).toBe(200);
	expect(ok.body.video_instance_id).toBe(sim.data.videoInstances[0].id);
	expect(sim.data.folders.some((f) => f.id === ok.body.folder_id)).toBe(true);
	sim.reset();
	expect(sim.data.videoInstances).toHaveLength(before);
});

test('webhook create needs a name and an http(s) URL; reset removes what was created', async () => {
	expect((await api(`${S}/webhook`, { webhook: 'https://a.example' })).body).toEqual({
		code: 422,
		message: "Missing required field 'name'",
	});
	expect((await api(`${S}/webhook`, { name: 'n', webhook: 'ftp://a.example' })).status).toBe(422);
	expect((await api(`${S}/webhook`, { name: 'n' })).status).toBe(422);
	const created = await api(`${S}/webhook`, { name: 'n', webhook: 'https://a.example/x' });
	expect(created.body).toMatchObject({ name: 'n', webhook: 'https://a.example/x' });
	expect((await api(`${S}/webhook`)).body).toHaveLength(3);
	sim.reset();
	expect(sim.data.savedWebhooks).toHaveLength(2);
});
