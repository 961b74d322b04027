'use strict';
// Tiny but genuinely valid media files, built in code so the simulator has no binary assets
// and no dependencies. The MP4 holds one H.264 frame coded with I_PCM macroblocks (raw samples,
// no entropy coding), which is the simplest bitstream real decoders (ffmpeg, browsers) accept.

const zlib = require('node:zlib');

// ---------- helpers ----------

function hash32(str) {
  let h = 2166136261;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function u8(v) {
  return Buffer.from([v & 0xff]);
}
function u16(v) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v & 0xffff);
  return b;
}
function u32(v) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

function box(type, ...parts) {
  const payload = Buffer.concat(parts);
  return Buffer.concat([u32(payload.length + 8), Buffer.from(type, 'latin1'), payload]);
}

function fullBox(type, version, flags, ...parts) {
  return box(type, u8(version), u8(flags >> 16), u16(flags & 0xffff), ...parts);
}

// ---------- H.264 bitstream ----------

class BitWriter {
  constructor() {
    this.bytes = [];
    this.cur = 0;
    this.n = 0;
  }
  bit(b) {
    this.cur = (this.cur << 1) | (b & 1);
    if (++this.n === 8) {
      this.bytes.push(this.cur);
      this.cur = 0;
      this.n = 0;
    }
  }
  u(bits, v) {
    for (let i = bits - 1; i >= 0; i--) this.bit((v >>> i) & 1);
  }
  ue(v) {
    const x = v + 1;
    const len = 32 - Math.clz32(x);
    this.u(len - 1, 0);
    this.u(len, x);
  }
  se(v) {
    this.ue(v <= 0 ? -2 * v : 2 * v - 1);
  }
  alignZero() {
    while (this.n) this.bit(0);
  }
  byte(v) {
    this.u(8, v);
  }
  trailing() {
    this.bit(1);
    this.alignZero();
  }
}

// Insert emulation-prevention bytes so the payload never contains a start code.
function nal(header, rbsp) {
  const out = [header];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

const MB_W = 2; // 32x32 pixels: 2x2 macroblocks
const MB_H = 2;
const WIDTH = MB_W * 16;
const HEIGHT = MB_H * 16;
const PROFILE = 66; // Baseline
const COMPAT = 0xc0; // constraint_set0+1: constrained baseline
const LEVEL = 10;

function buildSps() {
  const w = new BitWriter();
  w.byte(PROFILE);
  w.byte(COMPAT);
  w.byte(LEVEL);
  w.ue(0); // seq_parameter_set_id
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(2); // pic_order_cnt_type 2: no POC fields in slice headers
  w.ue(1); // max_num_ref_frames
  w.u(1, 0); // gaps_in_frame_num_value_allowed_flag
  w.ue(MB_W - 1);
  w.ue(MB_H - 1);
  w.u(1, 1); // frame_mbs_only_flag
  w.u(1, 1); // direct_8x8_inference_flag
  w.u(1, 0); // frame_cropping_flag
  w.u(1, 0); // vui_parameters_present_flag
  w.trailing();
  return nal(0x67, w.bytes);
}

function buildPps() {
  const w = new BitWriter();
  w.ue(0); // pic_parameter_set_id
  w.ue(0); // seq_parameter_set_id
  w.u(1, 0); // entropy_coding_mode_flag: CAVLC
  w.u(1, 0); // bottom_field_pic_order_in_frame_present_flag
  w.ue(0); // num_slice_groups_minus1
  w.ue(0); // num_ref_idx_l0_default_active_minus1
  w.ue(0); // num_ref_idx_l1_default_active_minus1
  w.u(1, 0); // weighted_pred_flag
  w.u(2, 0); // weighted_bipred_idc
  w.se(0); // pic_init_qp_minus26
  w.se(0); // pic_init_qs_minus26
  w.se(0); // chroma_qp_index_offset
  w.u(1, 0); // deblocking_filter_control_present_flag
  w.u(1, 0); // constrained_intra_pred_flag
  w.u(1, 0); // redundant_pic_cnt_present_flag
  w.trailing();
  return nal(0x68, w.bytes);
}

// One IDR slice whose macroblocks are all I_PCM; colours derive from `seed` so each id differs.
function buildIdrSlice(seed) {
  const w = new BitWriter();
  w.ue(0); // first_mb_in_slice
  w.ue(7); // slice_type: I (all slices)
  w.ue(0); // pic_parameter_set_id
  w.u(4, 0); // frame_num (log2_max_frame_num = 4)
  w.ue(0); // idr_pic_id
  w.u(1, 0); // no_output_of_prior_pics_flag
  w.u(1, 0); // long_term_reference_flag
  w.se(0); // slice_qp_delta
  const cb = 64 + (seed & 0x7f);
  const cr = 64 + ((seed >>> 8) & 0x7f);
  for (let mb = 0; mb < MB_W * MB_H; mb++) {
    w.ue(25); // mb_type I_PCM
    w.alignZero(); // pcm_alignment_zero_bit
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) w.byte(40 + ((mb * 48 + x * 4 + y * 3 + (seed >>> 16)) % 176));
    }
    for (let i = 0; i < 64; i++) w.byte(cb);
    for (let i = 0; i < 64; i++) w.byte(cr);
  }
  w.trailing();
  return nal(0x65, w.bytes);
}

const SPS = buildSps();
const PPS = buildPps();

const MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32);
const TIMESCALE = 1000;
const DURATION = 1000; // one frame shown for one second

function avc1Entry() {
  const avcC = box(
    'avcC',
    u8(1),
    u8(PROFILE),
    u8(COMPAT),
    u8(LEVEL),
    u8(0xff), // 4-byte NAL length prefixes
    u8(0xe1), // one SPS
    u16(SPS.length),
    SPS,
    u8(1), // one PPS
    u16(PPS.length),
    PPS,
  );
  const compressor = Buffer.alloc(32);
  compressor.write('\x0dBHuman sim 264', 'latin1');
  return box(
    'avc1',
    Buffer.alloc(6),
    u16(1), // data_reference_index
    Buffer.alloc(16), // pre_defined / reserved
    u16(WIDTH),
    u16(HEIGHT),
    u32(0x00480000),
    u32(0x00480000), // 72 dpi
    u32(0),
    u16(1), // frame_count
    compressor,
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = -1
    avcC,
  );
}

function buildMoov(sampleSize, chunkOffset) {
  const mvhd = fullBox(
    'mvhd', 0, 0,
    u32(0), u32(0), u32(TIMESCALE), u32(DURATION),
    u32(0x00010000), u16(0x0100), u16(0), u32(0), u32(0),
    ...MATRIX,
    Buffer.alloc(24),
    u32(2), // next_track_ID
  );
  const tkhd = fullBox(
    'tkhd', 0, 3, // enabled + in movie
    u32(0), u32(0), u32(1), u32(0), u32(DURATION),
    u32(0), u32(0), u16(0), u16(0), u16(0), u16(0),
    ...MATRIX,
    u32(WIDTH << 16), u32(HEIGHT << 16),
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(TIMESCALE), u32(DURATION), u16(0x55c4), u16(0));
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from('vide'), Buffer.alloc(12), Buffer.from('VideoHandler\0'));
  const vmhd = fullBox('vmhd', 0, 1, u16(0), u16(0), u16(0), u16(0));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), avc1Entry()),
    fullBox('stts', 0, 0, u32(1), u32(1), u32(DURATION)),
    fullBox('stss', 0, 0, u32(1), u32(1)),
    fullBox('stsc', 0, 0, u32(1), u32(1), u32(1), u32(1)),
    fullBox('stsz', 0, 0, u32(0), u32(1), u32(sampleSize)),
    fullBox('stco', 0, 0, u32(1), u32(chunkOffset)),
  );
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', vmhd, dinf, stbl)));
  return box('moov', mvhd, trak);
}

const mp4Cache = new Map();

/** A ~2 KB playable MP4 (32x32, 1 s). `id` tints the picture and is stored in a `free` box. */
function mp4(id = '') {
  const key = String(id);
  const cached = mp4Cache.get(key);
  if (cached) return cached;
  const ftyp = box('ftyp', Buffer.from('isom'), u32(0x200), Buffer.from('isomiso2avc1mp41'));
  const slice = buildIdrSlice(hash32(key));
  const sample = Buffer.concat([u32(slice.length), slice]);
  const free = box('free', Buffer.from(`bhuman-simulator id=${key}`, 'utf8'));
  // moov size does not depend on the offset value, so build once to measure, then for real.
  const moovLen = buildMoov(sample.length, 0).length;
  const offset = ftyp.length + moovLen + free.length + 8;
  const file = Buffer.concat([ftyp, buildMoov(sample.length, offset), free, box('mdat', sample)]);
  if (mp4Cache.size > 5000) mp4Cache.clear(); // bound memory under long benchmarks
  mp4Cache.set(key, file);
  return file;
}

// ---------- PNG ----------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), td, u32(crc32(td))]);
}

/** A valid 1x1 RGB PNG; the pixel colour derives from `id`. */
function png(id = '') {
  const h = hash32(String(id));
  const ihdr = Buffer.concat([u32(1), u32(1), u8(8), u8(2), u8(0), u8(0), u8(0)]);
  const raw = Buffer.from([0, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff]); // filter 0 + RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------- GIF ----------

// The classic 1x1 GIF89a (white pixel, transparent via graphic control extension).
const GIF = Buffer.from(
  '47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b',
  'hex',
);

function gif() {
  return GIF;
}

module.exports = { mp4, png, gif, crc32 };
