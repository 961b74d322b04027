'use strict';
// Seeded, deterministic account data. Every entity kind draws from its own PRNG stream, so
// changing one size (say, the number of instances) does not reshuffle the ids of the others.
// Timestamps count back from a fixed instant, never from the clock, so runs are reproducible.

const EPOCH = Date.UTC(2025, 9, 1, 9, 0, 0); // the seeded account's "now": 2025-10-01T09:00:00Z
const HOUR = 3600e3;
const DAY = 24 * HOUR;

const DEFAULT_SIZES = Object.freeze({
  videoInstances: 250,
  workspaces: 4,
  products: 30,
  campaigns: 12,
  categories: 6,
  tags: 12,
  generatedVideosPerInstance: 3,
  generatedVideosPerCampaign: 5,
  speakeasyProjects: 6,
  savedWebhooks: 2,
});

function hashString(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for fixtures. */
function createRng(seed, stream = '') {
  let a = hashString(`${seed}:${stream}`);
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    uuid() {
      const b = [];
      for (let i = 0; i < 16; i++) b.push(Math.floor(next() * 256));
      b[6] = (b[6] & 0x0f) | 0x40; // version 4
      b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
      const h = b.map((x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
    shuffle(arr) {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [arr[i], arr[j]] = [arr[j], arr[i]];
      }
      return arr;
    },
  };
  return rng;
}

const iso = (ms) => new Date(ms).toISOString();

// ---------- vocabularies ----------

const FOLDER_THEMES = [
  { folder: 'Sales', use_case: 'sales_outreach', names: ['Sales outreach', 'Demo follow-up', 'Cold intro'] },
  { folder: 'Onboarding', use_case: 'onboarding', names: ['Onboarding welcome', 'Kickoff call recap', 'Account setup help'] },
  { folder: 'Events', use_case: 'event_invite', names: ['Event invite', 'Webinar reminder', 'Thanks for attending'] },
  { folder: 'Customer success', use_case: 'customer_success', names: ['QBR invite', 'Renewal check-in', 'Feature update'] },
  { folder: 'Recruiting', use_case: 'recruiting', names: ['Candidate outreach', 'Interview next steps', 'Offer congratulations'] },
  { folder: 'Partnerships', use_case: null, names: ['Partner intro', 'Co-marketing pitch', 'Referral thank-you'] },
  { folder: 'Marketing', use_case: 'marketing', names: ['Newsletter personal note', 'Product launch', 'Holiday greeting'] },
  { folder: 'Real estate', use_case: 'real_estate', names: ['Open house invite', 'Listing walkthrough', 'Closing thank-you'] },
];
const SUFFIXES = [
  (r, n) => `Q${r.int(1, 4)} #${n}`,
  (r) => r.pick(['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark Industries', 'Wayne Enterprises']),
  (r) => r.pick(['January', 'March', 'May', 'July', 'September', 'November']) + ' batch',
  (r, n) => `v${r.int(1, 5)} #${n}`,
  (r) => r.pick(['EMEA', 'North America', 'APAC', 'LATAM']),
];
const VARIABLE_SETS = [
  ['name'],
  ['name', 'company'],
  ['name', 'company'],
  ['first_name', 'company'],
  ['name', 'company', 'city'],
  ['first_name', 'last_name', 'company', 'job_title'],
];
const FIRST = ['Don', 'James', 'Priya', 'Maria', 'Chen', 'Fatima', 'Lucas', 'Aiko', 'Omar', 'Sofia', 'Noah', 'Elena', 'Kwame', 'Ines', 'Ravi', 'Hannah'];
const LAST = ['Smith', 'Garcia', 'Kim', 'Okafor', 'Rossi', 'Nguyen', 'Müller', 'Silva', 'Patel', 'Cohen', 'Larsen', 'Dubois'];
const COMPANIES = ['Apple', 'Google', 'Acme Corp', 'Globex', 'Initech', 'Hooli', 'Vandelay Industries', 'Pied Piper', 'Soylent', 'Wonka Industries', 'Tyrell', 'Cyberdyne'];
const CITIES = ['Austin', 'Berlin', 'Lisbon', 'Toronto', 'Singapore', 'Nairobi', 'São Paulo', 'Dublin'];
const TITLES = ['Head of Sales', 'CTO', 'Marketing Manager', 'Founder', 'VP Growth', 'Recruiter'];
const FAIL_MESSAGES = [
  'Render failed: lip-sync alignment error on segment 2',
  'Render failed: speech synthesis timed out',
  'Render failed: source video segment missing',
];
const WORKSPACE_NAMES = ['Personal workspace', 'Acme Sales', 'Customer Success', 'Agency clients', 'Marketing', 'Recruiting', 'Partners', 'Sandbox'];
const CATEGORY_NAMES = ['Sales', 'Marketing', 'Real estate', 'Recruiting', 'Customer success', 'Events', 'E-commerce', 'Education', 'Nonprofit', 'Healthcare'];
const TAG_NAMES = ['b2b', 'cold outreach', 'welcome', 'thank you', 'webinar', 'holiday', 'ecommerce', 'saas', 'linkedin', 'follow-up', 'testimonial', 'launch', 'renewal', 'event', 'referral', 'feedback'];
const PRODUCT_NAMES = ['SaaS demo follow-up', 'Open house invite', 'Welcome to the team', 'Webinar thank-you', 'Holiday greetings', 'Cart reminder', 'Renewal nudge', 'LinkedIn connect note', 'Candidate outreach', 'Customer testimonial ask', 'Product launch teaser', 'Referral request'];
const SPEAKEASY_NAMES = ['Founder welcome (ES)', 'Product tour (DE)', 'Keynote 2025 (FR)', 'Onboarding call (JA)', 'Investor update (PT)', 'Podcast clip (IT)'];
const SPEAKEASY_LANGUAGES = ['es', 'de', 'fr', 'ja', 'pt', 'it'];
const SAVED_WEBHOOK_NAMES = ['CRM video links', 'Slack notifications'];
const CAMPAIGN_NAMES = ['Q3 outbound', 'Webinar follow-ups', 'Holiday card 2025', 'Renewals September', 'New signups welcome', 'LinkedIn warm leads', 'Trade show invites', 'Churn win-back', 'Partner launch', 'Referral drive'];

function valueFor(variable, r) {
  switch (variable) {
    case 'name':
    case 'first_name':
      return r.pick(FIRST);
    case 'last_name':
      return r.pick(LAST);
    case 'company':
      return r.pick(COMPANIES);
    case 'city':
      return r.pick(CITIES);
    case 'job_title':
      return r.pick(TITLES);
    default:
      return r.pick(FIRST);
  }
}

/**
 * Build the seeded data set.
 * Returns { userId, data, seededGenerations, instanceVideoIds } where `data` is what sim.data exposes.
 */
function buildData({ seed = 1, sizes = {}, baseUrl }) {
  const s = { ...DEFAULT_SIZES, ...sizes };
  const r = (stream) => createRng(seed, stream);

  const ur = r('user');
  const userId = 'google-oauth2|' + Array.from({ length: 21 }, () => ur.int(0, 9)).join('');

  const wr = r('workspaces');
  const workspaces = [];
  for (let i = 0; i < s.workspaces; i++) {
    const created = EPOCH - (400 - i * 37) * DAY - wr.int(0, 23) * HOUR;
    const name = WORKSPACE_NAMES[i % WORKSPACE_NAMES.length] + (i >= WORKSPACE_NAMES.length ? ` ${i + 1}` : '');
    workspaces.push({
      workspace_id: wr.uuid(),
      user_id: userId,
      name,
      role: i === 0 || wr.chance(0.4) ? 'owner' : 'member',
      description: i === 0 ? 'Default workspace' : `${name} videos and campaigns`,
      created_at: iso(created),
      updated_at: iso(created + wr.int(1, 90) * DAY),
    });
  }

  const fr = r('folders');
  const folders = FOLDER_THEMES.map((t, i) => ({
    id: fr.uuid(),
    name: t.folder,
    workspace_id: workspaces.length ? workspaces[i % workspaces.length].workspace_id : null,
    created_at: iso(EPOCH - (380 - i * 11) * DAY),
  }));

  const categories = Array.from({ length: s.categories }, (_, i) => ({
    id: i + 1,
    name: CATEGORY_NAMES[i % CATEGORY_NAMES.length] + (i >= CATEGORY_NAMES.length ? ` ${i + 1}` : ''),
  }));
  const tags = Array.from({ length: s.tags }, (_, i) => ({
    id: i + 1,
    name: TAG_NAMES[i % TAG_NAMES.length] + (i >= TAG_NAMES.length ? ` ${i + 1}` : ''),
  }));

  const ar = r('actors');
  const actors = Array.from({ length: 10 }, () => ar.uuid());

  const pr = r('products');
  const products = [];
  for (let i = 0; i < s.products; i++) {
    const id = pr.uuid();
    const tagCount = pr.int(0, 3);
    const ptags = tagCount && tags.length ? [...new Set(Array.from({ length: tagCount }, () => pr.pick(tags).id))].sort((a, b) => a - b) : null;
    products.push({
      id,
      name: PRODUCT_NAMES[i % PRODUCT_NAMES.length] + (i >= PRODUCT_NAMES.length ? ` (${Math.floor(i / PRODUCT_NAMES.length) + 1})` : ''),
      category: categories.length ? categories[i % categories.length].id : 0,
      description: pr.chance(0.85) ? 'A ready-made personalized video template you can adapt with your own variables.' : null,
      video_url: `${baseUrl}/media/product-${id}.mp4`,
      image_url: `${baseUrl}/media/product-${id}.png`,
      thumbnail: pr.chance(0.9) ? `${baseUrl}/media/product-${id}.png` : null,
      creator_id: pr.chance(0.5) ? 'bhuman' : userId,
      actor_id: pr.pick(actors),
      length: pr.int(12, 120),
      downloads: pr.int(0, 25000),
      ratings: Math.round((3.5 + pr.next() * 1.5) * 10) / 10,
      reviews: pr.int(0, 900),
      tags: ptags,
      created_at: iso(EPOCH - pr.int(30, 500) * DAY - pr.int(0, 23) * HOUR),
    });
  }

  // Instances: strictly decreasing created_at, so "created_at desc" equals generation order.
  const ir = r('instances');
  const videoInstances = [];
  const instanceVideoIds = new Map();
  let t = EPOCH - 2 * HOUR;
  for (let i = 0; i < s.videoInstances; i++) {
    t -= ir.int(1, 40) * HOUR + ir.int(1, 3599) * 1000;
    const themeIdx = ir.int(0, FOLDER_THEMES.length - 1);
    const theme = FOLDER_THEMES[themeIdx];
    const fromProduct = products.length && ir.chance(0.25) ? ir.pick(products) : null;
    const id = ir.uuid();
    instanceVideoIds.set(id, ir.uuid());
    videoInstances.push({
      id,
      name: `${ir.pick(theme.names)} — ${ir.pick(SUFFIXES)(ir, s.videoInstances - i)}`,
      user_id: userId,
      folder_id: folders[themeIdx].id,
      actor_id: ir.chance(0.93) ? ir.pick(actors) : null,
      product_id: fromProduct ? fromProduct.id : null,
      industry: ir.int(1, 20),
      use_case: ir.chance(0.85) ? theme.use_case : null,
      created_at: iso(t),
      updated_at: iso(Math.min(EPOCH, t + ir.int(0, 10 * 24) * HOUR)),
      variables: ir.pick(VARIABLE_SETS).slice(),
    });
  }

  const cr = r('campaigns');
  const campaigns = [];
  let ct = EPOCH - HOUR;
  for (let i = 0; i < s.campaigns; i++) {
    ct -= cr.int(12, 96) * HOUR;
    const inst = videoInstances.length ? cr.pick(videoInstances) : null;
    campaigns.push({
      id: cr.uuid(),
      name: CAMPAIGN_NAMES[i % CAMPAIGN_NAMES.length] + (i >= CAMPAIGN_NAMES.length ? ` #${Math.floor(i / CAMPAIGN_NAMES.length) + 1}` : ''),
      video_instance_id: inst ? inst.id : null,
      workspace_id: workspaces.length ? workspaces[i % workspaces.length].workspace_id : null,
      status: i < 2 ? 'active' : cr.pick(['active', 'active', 'paused', 'completed']),
      whatsapp_enabled: i % 3 === 1, // one in three, and always the second campaign
      variables: inst ? inst.variables.slice() : ['name'],
      created_at: iso(ct),
      updated_at: iso(Math.min(EPOCH, ct + cr.int(1, 72) * HOUR)),
    });
  }

  // Past renders, already final. They use the same record shape as live generations.
  const gr = r('generated');
  const seededGenerations = [];
  const instanceById = new Map(videoInstances.map((v) => [v.id, v]));
  const addSeeded = (owner, instanceId, campaign, count) => {
    const variables = campaign ? campaign.variables : owner.variables;
    // First render some hours after the owner was created, but always before EPOCH.
    let gt = Math.min(Date.parse(owner.created_at) + gr.int(1, 48) * HOUR, EPOCH - (count + 5) * 10 * 60e3);
    for (let row = 0; row < count; row++) {
      gt += gr.int(1, 120) * 1000 + 5 * 60e3;
      const failed = gr.chance(0.08);
      const id = gr.uuid();
      seededGenerations.push({
        id,
        videoId: instanceVideoIds.get(instanceId) || gr.uuid(),
        userId,
        actorId: instanceById.get(instanceId).actor_id || actors[0],
        videoInstanceId: instanceId,
        campaignId: campaign ? campaign.id : null,
        campaignResultId: campaign ? gr.uuid() : null,
        rowIndex: row,
        text: variables.map((v) => valueFor(v, gr)),
        executionName: `render-${id.slice(0, 8)}-${gr.int(1000, 9999)}`,
        createdMs: gt,
        queuedMs: gr.int(2, 20) * 1000,
        totalMs: gr.int(40, 240) * 1000,
        outcome: failed ? 'failed' : 'succeeded',
        failMessage: failed ? gr.pick(FAIL_MESSAGES) : null,
        whatsapp: Boolean(campaign && campaign.whatsapp_enabled),
        callbackUrl: null,
        seeded: true,
      });
    }
  };
  for (const inst of videoInstances) addSeeded(inst, inst.id, null, s.generatedVideosPerInstance);
  for (const c of campaigns) {
    const inst = instanceById.get(c.video_instance_id);
    if (inst) addSeeded({ ...inst, created_at: c.created_at }, inst.id, c, s.generatedVideosPerCampaign);
  }

  // Speakeasy projects (dubbed videos) and saved webhooks: shapes not documented by BHuman,
  // modelled on the other list endpoints (see the README's "what is assumed").
  const sr = r('speakeasy');
  const speakeasyProjects = Array.from({ length: s.speakeasyProjects }, (_, i) => {
    const created = EPOCH - (90 - i * 9) * DAY - sr.int(0, 23) * HOUR;
    return {
      id: sr.uuid(),
      name: SPEAKEASY_NAMES[i % SPEAKEASY_NAMES.length] + (i >= SPEAKEASY_NAMES.length ? ` #${Math.floor(i / SPEAKEASY_NAMES.length) + 1}` : ''),
      workspace_id: workspaces.length ? workspaces[i % workspaces.length].workspace_id : null,
      language: SPEAKEASY_LANGUAGES[i % SPEAKEASY_LANGUAGES.length],
      status: 'ready',
      created_at: iso(created),
      updated_at: iso(created + sr.int(1, 48) * HOUR),
    };
  });
  const hr = r('webhooks');
  const savedWebhooks = Array.from({ length: s.savedWebhooks }, (_, i) => ({
    id: hr.uuid(),
    name: SAVED_WEBHOOK_NAMES[i % SAVED_WEBHOOK_NAMES.length] + (i >= SAVED_WEBHOOK_NAMES.length ? ` ${i + 1}` : ''),
    webhook: `https://hooks.example.com/bhuman/${hr.uuid()}`,
    created_at: iso(EPOCH - (60 - i * 7) * DAY),
  }));

  return {
    userId,
    actors,
    data: { videoInstances, workspaces, products, categories, tags, campaigns, folders, speakeasyProjects, savedWebhooks },
    seededGenerations,
    instanceVideoIds,
  };
}

module.exports = { buildData, createRng, hashString, DEFAULT_SIZES, EPOCH };
