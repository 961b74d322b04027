// @ts-check
'use strict';
// Media files and share pages of rendered videos and products: no auth, no latency, not logged.

const gens = require('../generations');
const media = require('../media');
const { ApiError } = require('../validate');
const { sendBytes } = require('../dispatcher');

/** @typedef {import('../dispatcher').RouteContext} RouteContext */

const escapeHtml = (/** @type {unknown} */ s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The share page of a succeeded render. */
function share(/** @type {RouteContext} */ { sim, res, method, path }) {
  const m = /^\/share\/([0-9a-f-]{36})$/i.exec(path);
  if (!m) throw new ApiError(404, `Media ${path.slice('/share/'.length)} not found`);
  const g = sim.generations.get(m[1].toLowerCase());
  if (!g || gens.statusAt(g, Date.now()) !== 'succeeded') throw new ApiError(404, `Share page ${m[1]} not found`);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Your personalized video</title></head>
<body style="font-family:sans-serif;text-align:center"><h1>Hi ${escapeHtml(g.text[0] || 'there')}!</h1>
<video controls autoplay muted width="320" poster="/media/${g.id}.png" src="/media/${g.id}.mp4"></video>
<p>Personalized video ${g.id} (BHuman simulator)</p></body></html>`;
  sendBytes(res, method, 'text/html; charset=utf-8', Buffer.from(html));
}

/** MP4/PNG/GIF of a succeeded render (and its WhatsApp MP4), or of a store product. */
function file(/** @type {RouteContext} */ { sim, res, method, path }) {
  const m = /^\/media\/(product-)?([0-9a-f-]{36})(-whatsapp)?\.(mp4|png|gif)$/i.exec(path);
  if (m) {
    const [, product, rawId, whatsapp, ext] = m;
    const id = rawId.toLowerCase();
    let ok;
    if (product) ok = !whatsapp && sim.data.products.some((p) => p.id === id);
    else {
      const g = sim.generations.get(id);
      ok = g !== undefined && gens.statusAt(g, Date.now()) === 'succeeded' && (!whatsapp || (g.whatsapp && ext === 'mp4'));
    }
    if (ok) {
      const key = path.slice('/media/'.length);
      const [type, bytes] =
        ext === 'mp4' ? ['video/mp4', media.mp4(key)] : ext === 'png' ? ['image/png', media.png(key)] : ['image/gif', media.gif()];
      return sendBytes(res, method, type, bytes);
    }
  }
  throw new ApiError(404, `Media ${path.slice('/media/'.length)} not found`);
}

/** @type {import('../dispatcher').Route[]} */
const routes = ['GET', 'HEAD'].flatMap((method) => [
  { method, path: /^\/share\//, auth: false, handler: share },
  { method, path: /^\/media\//, auth: false, handler: file },
]);

module.exports = routes;
