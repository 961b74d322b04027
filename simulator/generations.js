'use strict';
// Generation records. Status is derived from elapsed time rather than stored, so a poll at
// any moment answers consistently without a ticking clock; only callbacks need timers.

const { hashString } = require('./data');
const { shownStatus } = require('./dialects');

// The one internal success state is `succeeded`; the dialect's successState only changes how
// records and callbacks show it (toRecord, callbackBody).
const FINAL = new Set(['succeeded', 'failed']);

/**
 * Per-row steering through the row values, so tests in other processes can control renders:
 * `sim:fail` ends failed, `sim:render=<ms>` sets the total render time, `sim:never` never ends.
 */
function rowControls(row, render) {
  const base = render.queuedMs + render.processingMs;
  let totalMs = base;
  let outcome = 'succeeded';
  for (const v of row) {
    if (v === 'sim:never') outcome = 'never';
    else if (v === 'sim:fail' && outcome !== 'never') outcome = 'failed';
    else if (typeof v === 'string' && v.startsWith('sim:render=')) {
      const ms = Number(v.slice('sim:render='.length));
      if (Number.isFinite(ms) && ms >= 0) totalMs = ms;
    }
  }
  // Keep the configured queued/processing proportion when a row overrides the total.
  const queuedMs = base > 0 ? Math.round((totalMs * render.queuedMs) / base) : 0;
  return { outcome, totalMs, queuedMs };
}

function statusAt(gen, now) {
  if (gen.forced) return gen.forced.status;
  const elapsed = now - gen.createdMs;
  if (elapsed < gen.queuedMs) return 'queued';
  if (gen.outcome === 'never' || elapsed < gen.totalMs) return 'processing';
  return gen.outcome;
}

function isFinal(gen, now) {
  return FINAL.has(statusAt(gen, now));
}

function updatedAt(gen, now) {
  if (gen.forced) return gen.forced.atMs;
  const status = statusAt(gen, now);
  if (status === 'queued') return gen.createdMs;
  if (status === 'processing') return gen.createdMs + gen.queuedMs;
  return gen.createdMs + gen.totalMs;
}

function failMessage(gen) {
  if (gen.forced && gen.forced.status === 'failed') return gen.forced.message;
  return gen.failMessage || 'Render failed: unknown error';
}

function mediaUrls(gen, baseUrl) {
  const h = hashString(gen.id);
  return {
    share_url: `${baseUrl}/share/${gen.id}`,
    url: `${baseUrl}/media/${gen.id}.mp4`,
    vimeo_url: `https://vimeo.com/${800000000 + (h % 99999999)}/${(h * 2654435761 >>> 0).toString(16).padStart(8, '0').slice(0, 10)}`,
    thumbnail: `${baseUrl}/media/${gen.id}.png`,
    gif: `${baseUrl}/media/${gen.id}.gif`,
    whatsapp_video_url: gen.whatsapp ? `${baseUrl}/media/${gen.id}-whatsapp.mp4` : undefined,
  };
}

/**
 * The public polling record (generated_video_by_id and the list endpoints).
 * @param {'succeeded' | 'completed'} [successState] how a success is shown
 * @returns {import('./index').GeneratedVideo}
 */
function toRecord(gen, now, baseUrl, successState = 'succeeded') {
  const status = statusAt(gen, now);
  const ok = status === 'succeeded';
  const m = ok ? mediaUrls(gen, baseUrl) : null;
  /** @type {any} */
  const rec = {
    id: gen.id,
    video_id: gen.videoId,
    user_id: gen.userId,
    actor_id: gen.actorId,
    video_instance_id: gen.videoInstanceId,
    campaign_id: gen.campaignId,
    campaign_result_id: gen.campaignResultId,
    status: shownStatus(status, successState),
    share_url: ok ? m.share_url : null,
    url: ok ? m.url : null,
    vimeo_url: ok ? m.vimeo_url : null,
    thumbnail: ok ? m.thumbnail : null,
    gif: ok ? m.gif : null,
  };
  if (ok && gen.whatsapp) rec.whatsapp_video_url = m.whatsapp_video_url;
  Object.assign(rec, {
    message: status === 'failed' ? failMessage(gen) : null,
    execution_name: gen.executionName,
    row_index: gen.rowIndex,
    text: gen.text,
    checksum: hashString(JSON.stringify(gen.text)) & 0x7fffffff,
    created_at: new Date(gen.createdMs).toISOString(),
    updated_at: new Date(updatedAt(gen, now)).toISOString(),
  });
  return rec;
}

/**
 * The completion callback. Failed renders carry empty-string media fields. The WhatsApp URL
 * is only included when it is ready at once (whatsappDelayMs 0); otherwise it arrives in the
 * later `whatsapp.ready` callback, as the real service does.
 */
function callbackBody(gen, now, baseUrl, { includeWhatsapp = false, successState = 'succeeded' } = {}) {
  const status = statusAt(gen, now);
  const ok = status === 'succeeded';
  const m = mediaUrls(gen, baseUrl);
  const body = {
    id: gen.id,
    status: shownStatus(status, successState),
    video_url: ok ? m.share_url : '',
    url: ok ? m.url : '',
    thumbnail: ok ? m.thumbnail : '',
    gif: ok ? m.gif : '',
  };
  if (gen.whatsapp && (!ok || includeWhatsapp)) body.whatsapp_video_url = ok ? m.whatsapp_video_url : '';
  if (gen.campaignId) {
    body.campaign_id = gen.campaignId;
    body.campaign_result_id = gen.campaignResultId;
  }
  return body;
}

function whatsappReadyBody(gen, baseUrl) {
  return {
    event: 'whatsapp.ready',
    id: gen.id,
    campaign_id: gen.campaignId,
    whatsapp_video_url: mediaUrls(gen, baseUrl).whatsapp_video_url,
  };
}

module.exports = { rowControls, statusAt, isFinal, toRecord, callbackBody, whatsappReadyBody, FINAL };
