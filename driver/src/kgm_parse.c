/* .kgm reader and validation (docs/model-format.md, kgmac/kgm.h).
 *
 * The reader trusts nothing: the fixed-size prefix is checked before it is
 * read, every offset and size is checked against the file length in 64-bit
 * arithmetic before any section is touched, and nothing is allocated whose
 * size has not been bounded by the (already read) file length. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kgm_internal.h"
#include "kgmac/file_io.h"
#include "kgmac/layer_pack.h"

void kgm_model_free(kgm_model *m) {
  if (!m) return;
  free(m->layers);
  free(m->params);
  free(m->wimg);
  memset(m, 0, sizeof *m);
}

const char *kgm_crypt_name(uint32_t crypt) {
  switch (crypt) {
    case KGM_CRYPT_NONE: return "none";
    case KGM_CRYPT_DEEPLOCK: return "deeplock";
    case KGM_CRYPT_CTR: return "ctr";
    default: return "unknown";
  }
}

static int scale_ok(float s) {
  return isfinite(s) && s > 0.0f;
}

/* Checks of one layer entry. (ph, pw, pc) is the tensor the layer reads
 * (the previous output or the model input); prev_conv says whether it was
 * written by a convolution (pixels at a 16-byte stride). */
static int validate_layer(const kgm_model *m, uint32_t l, uint32_t ph, uint32_t pw, uint32_t pc,
                          int prev_conv, uint64_t *p_end, uint64_t *w_end, char *detail) {
  const kgm_layer *L = &m->layers[l];
  const kg_geom g = {m->rows, m->cols};
  if (L->type != KGM_LAYER_FC && L->type != KGM_LAYER_CONV)
    return kg_fail(detail, KG_E_LAYER, "layer %u: type %u (1 = FC, 2 = CONV)", l, L->type);
  if (L->relu > 1) return kg_fail(detail, KG_E_LAYER, "layer %u: relu %u (0 or 1)", l, L->relu);
  /* Sizes first: a too-large value is KG_E_TOO_BIG whatever else is wrong. */
  if (L->in_h == 0 || L->in_w == 0 || L->in_c == 0 || L->out_h == 0 || L->out_w == 0 ||
      L->out_c == 0 || L->K == 0 || L->N == 0)
    return kg_fail(detail, KG_E_LAYER, "layer %u: zero dimension (in %ux%ux%u out %ux%ux%u K %u N %u)",
                    l, L->in_h, L->in_w, L->in_c, L->out_h, L->out_w, L->out_c, L->K, L->N);
  if (L->N > KGM_MAX_CHANNELS || L->out_c > KGM_MAX_CHANNELS)
    return kg_fail(detail, KG_E_TOO_BIG, "layer %u: %u output channels (limit %u)", l, L->N,
                    KGM_MAX_CHANNELS);
  if (L->K > KGM_MAX_K)
    return kg_fail(detail, KG_E_TOO_BIG, "layer %u: K = %u (limit %u)", l, L->K, KGM_MAX_K);
  if (L->in_h > KGM_MAX_SIDE || L->in_w > KGM_MAX_SIDE || L->out_h > KGM_MAX_SIDE ||
      L->out_w > KGM_MAX_SIDE)
    return kg_fail(detail, KG_E_TOO_BIG, "layer %u: side %ux%u -> %ux%u (limit %u)", l, L->in_h,
                    L->in_w, L->out_h, L->out_w, KGM_MAX_SIDE);
  if (L->type == KGM_LAYER_CONV && L->in_c > KGM_MAX_CHANNELS)
    return kg_fail(detail, KG_E_TOO_BIG, "layer %u: %u input channels (limit %u)", l, L->in_c,
                    KGM_MAX_CHANNELS);
  if (L->N != L->out_c)
    return kg_fail(detail, KG_E_LAYER, "layer %u: N = %u but %u output channels", l, L->N,
                    L->out_c);

  if (L->type == KGM_LAYER_FC) {
    if (L->kh || L->kw || L->stride || L->pad)
      return kg_fail(detail, KG_E_LAYER, "layer %u: FC with kernel %ux%u stride %u pad %u set", l,
                      L->kh, L->kw, L->stride, L->pad);
    if (L->in_h != 1 || L->in_w != 1 || L->in_c != L->K)
      return kg_fail(detail, KG_E_LAYER, "layer %u: FC input %ux%ux%u, must be 1x1xK (K = %u)", l,
                      L->in_h, L->in_w, L->in_c, L->K);
    if (L->out_h != 1 || L->out_w != 1)
      return kg_fail(detail, KG_E_LAYER, "layer %u: FC output %ux%ux%u, must be 1x1xN", l,
                      L->out_h, L->out_w, L->out_c);
    /* After a convolution the FC reads the device's 16-byte pixels, so K
     * is the padded size (= the dense one when c is a multiple of 16). The
     * runtime does not compact a convolution's output, so a dense K that
     * differs is refused here, where inspect sees it too. */
    const uint64_t want = prev_conv ? kg_pack_fc_after_conv_k(ph, pw, pc) : (uint64_t)ph * pw * pc;
    if (L->K != want)
      return kg_fail(detail, KG_E_LAYER,
                     "layer %u: FC K = %u but %s is %ux%ux%u, so K must be %llu%s", l, L->K,
                     l ? "the previous output" : "the model input", ph, pw, pc,
                     (unsigned long long)want,
                     prev_conv ? " (16-byte pixels: the hardware layout kgmac lock writes)" : "");
  } else {
    if (L->in_h != ph || L->in_w != pw || L->in_c != pc)
      return kg_fail(detail, KG_E_LAYER, "layer %u: input %ux%ux%u but %s is %ux%ux%u", l,
                      L->in_h, L->in_w, L->in_c, l ? "the previous output" : "the model input", ph,
                      pw, pc);
    if (L->kh < 1 || L->kh > 7 || L->kw < 1 || L->kw > 7 || L->stride < 1 || L->stride > 2 ||
        L->pad >= L->kh || L->pad >= L->kw)
      return kg_fail(detail, KG_E_LAYER,
                      "layer %u: conv kernel %ux%u stride %u pad %u (kernel 1..7, stride 1..2, "
                      "pad < kernel)", l, L->kh, L->kw, L->stride, L->pad);
    if ((uint64_t)L->in_h + 2u * L->pad < L->kh || (uint64_t)L->in_w + 2u * L->pad < L->kw)
      return kg_fail(detail, KG_E_LAYER, "layer %u: %ux%u kernel larger than the padded %ux%u input",
                      l, L->kh, L->kw, L->in_h, L->in_w);
    const uint32_t oh = (L->in_h + 2u * L->pad - L->kh) / L->stride + 1u;
    const uint32_t ow = (L->in_w + 2u * L->pad - L->kw) / L->stride + 1u;
    if (L->out_h != oh || L->out_w != ow)
      return kg_fail(detail, KG_E_LAYER, "layer %u: conv output %ux%u, expected %ux%u", l,
                      L->out_h, L->out_w, oh, ow);
    if (L->K != L->kh * L->kw * L->in_c)
      return kg_fail(detail, KG_E_LAYER, "layer %u: conv K = %u, expected %u", l, L->K,
                      L->kh * L->kw * L->in_c);
  }
  if (!scale_ok(L->out_scale))
    return kg_fail(detail, KG_E_LAYER, "layer %u: output scale %g is not a positive number", l,
                    (double)L->out_scale);

  /* Weight tiles inside the image, in layer order, not overlapping. */
  const uint64_t wb = kg_pack_weight_bytes(L->K, L->N, g);
  if (L->w_len != wb)
    return kg_fail(detail, KG_E_LAYER, "layer %u: %u weight bytes, %ux%u at %ux%u needs %llu", l,
                    L->w_len, L->K, L->N, m->rows, m->cols, (unsigned long long)wb);
  if (L->w_off % 16u)
    return kg_fail(detail, KG_E_LAYER, "layer %u: weight offset %u not a multiple of 16", l,
                    L->w_off);
  if ((uint64_t)L->w_off + L->w_len > m->wimg_len)
    return kg_fail(detail, KG_E_RANGE, "layer %u: weights [%u, +%u) outside the %zu-byte image", l,
                    L->w_off, L->w_len, m->wimg_len);
  if (L->w_off < *w_end)
    return kg_fail(detail, KG_E_OVERLAP, "layer %u: weights at %u overlap the previous layer's (end %llu)",
                    l, L->w_off, (unsigned long long)*w_end);
  *w_end = (uint64_t)L->w_off + L->w_len;

  /* Parameter records inside the parameter section. */
  const uint64_t pb = (uint64_t)L->N * KGM_PARAM_SIZE;
  if (L->p_off % 16u)
    return kg_fail(detail, KG_E_LAYER, "layer %u: parameter offset %u not a multiple of 16", l,
                    L->p_off);
  if ((uint64_t)L->p_off + pb > m->params_len)
    return kg_fail(detail, KG_E_RANGE, "layer %u: parameters [%u, +%llu) outside the %zu-byte section",
                    l, L->p_off, (unsigned long long)pb, m->params_len);
  if (L->p_off < *p_end)
    return kg_fail(detail, KG_E_OVERLAP,
                    "layer %u: parameters at %u overlap the previous layer's (end %llu)", l, L->p_off,
                    (unsigned long long)*p_end);
  *p_end = (uint64_t)L->p_off + pb;
  if (m->params) {
    for (uint32_t n = 0; n < L->N; n++) {
      const uint8_t *r = m->params + L->p_off + (size_t)n * KGM_PARAM_SIZE;
      const int32_t mult = (int32_t)kgm_rd32(r + 4);
      if (mult < 0 || r[8] < 1 || r[8] > 62 || !kgm_all_zero(r + 9, 7))
        return kg_fail(detail, KG_E_LAYER,
                        "layer %u channel %u: mult %d shift %u (need [0,2^31), [1,62], zero padding)",
                        l, n, mult, r[8]);
    }
  }
  return KG_OK;
}

int kgm_uses_key(const kgm_model *m) {
  return m && (m->crypt != KGM_CRYPT_NONE || (m->flags & KGM_FLAG_SIGN));
}

/* Version, flags and the key fields: crypt, aes_len, nonce, KCV. */
static int validate_keys(const kgm_model *m, char *detail) {
  if (m->version < KGM_VERSION_MIN || m->version > KGM_VERSION)
    return kg_fail(detail, KG_E_VERSION, "version %u (this reader knows %u and %u)", m->version,
                   KGM_VERSION_MIN, KGM_VERSION);
  const uint32_t unknown = m->flags & KGM_FLAGS_REQUIRED_MASK & ~kgm_flags_known(m->version);
  if (unknown)
    return kg_fail(detail, KG_E_FLAGS, "unknown required flags 0x%04x for version %u", unknown,
                   m->version);
  if (m->crypt > KGM_CRYPT_CTR)
    return kg_fail(detail, KG_E_HEADER, "crypt mode %u (0 none, 1 deeplock, 2 ctr)", m->crypt);
  const int keyed = kgm_uses_key(m), auth = (m->flags & KGM_FLAG_AUTH) != 0;
  if (m->version >= 2u && keyed && !auth)
    return kg_fail(detail, KG_E_HEADER,
                   "version-2 model uses a key (crypt %s%s) but has no AUTH flag",
                   kgm_crypt_name(m->crypt), (m->flags & KGM_FLAG_SIGN) ? ", SIGN" : "");
  if (auth && !keyed)
    return kg_fail(detail, KG_E_HEADER, "AUTH flag on a model that uses no key (crypt none, no SIGN)");
  /* The device key's length: for every model it decrypts, and for every
   * model it authenticates (AUTH, also crypt none + SIGN). */
  if (m->crypt != KGM_CRYPT_NONE || auth) {
    if (m->aes_len != 16 && m->aes_len != 24 && m->aes_len != 32)
      return kg_fail(detail, KG_E_HEADER, "AES key length %u (16, 24 or 32 with %s%s)", m->aes_len,
                     kgm_crypt_name(m->crypt), auth ? " and AUTH" : "");
  } else {
    if (m->aes_len != 0)
      return kg_fail(detail, KG_E_HEADER, "AES key length %u with no encryption (must be 0)",
                     m->aes_len);
    if (!kgm_all_zero(m->nonce, sizeof m->nonce) || !kgm_all_zero(m->kcv, sizeof m->kcv))
      return kg_fail(detail, KG_E_HEADER, "nonce or KCV set with no encryption (must be 0)");
  }
  if (!auth && !kgm_all_zero(m->tag, sizeof m->tag))
    return kg_fail(detail, KG_E_HEADER, "a tag is set but the AUTH flag is not");
  return KG_OK;
}

int kgm_validate(const kgm_model *m, char *detail) {
  if (!m) return kg_fail(detail, KG_E_INVAL, "no model");
  int rc = validate_keys(m, detail);
  if (rc != KG_OK) return rc;
  if (!kgm_geom_side_ok(m->rows) || !kgm_geom_side_ok(m->cols) || m->rows * m->cols > 1024u)
    return kg_fail(detail, KG_E_HEADER,
                    "geometry %ux%u (rows and cols powers of two in 1..64, rows*cols <= 1024)",
                    m->rows, m->cols);
  if (m->in_h == 0 || m->in_w == 0 || m->in_c == 0)
    return kg_fail(detail, KG_E_HEADER, "input %ux%ux%u has a zero dimension", m->in_h, m->in_w,
                    m->in_c);
  if (m->in_h > KGM_MAX_SIDE || m->in_w > KGM_MAX_SIDE || m->in_c > KGM_MAX_CHANNELS)
    return kg_fail(detail, KG_E_TOO_BIG, "input %ux%ux%u (limits %u x %u x %u)", m->in_h, m->in_w,
                    m->in_c, KGM_MAX_SIDE, KGM_MAX_SIDE, KGM_MAX_CHANNELS);
  if (!scale_ok(m->in_scale))
    return kg_fail(detail, KG_E_HEADER, "input scale %g is not a positive number",
                    (double)m->in_scale);
  if (m->in_zero < -128 || m->in_zero > 127)
    return kg_fail(detail, KG_E_HEADER, "input zero point %d outside [-128, 127]", m->in_zero);
  if (m->n_layers == 0) return kg_fail(detail, KG_E_HEADER, "no layers");
  if (m->n_layers > KGM_MAX_LAYERS)
    return kg_fail(detail, KG_E_TOO_BIG, "%u layers (limit %u)", m->n_layers, KGM_MAX_LAYERS);
  if (!m->layers) return kg_fail(detail, KG_E_INVAL, "no layer table");
  if (m->params_len % 16u || m->wimg_len % 16u)
    return kg_fail(detail, KG_E_HEADER, "section sizes %zu / %zu not multiples of 16",
                    m->params_len, m->wimg_len);
  const uint64_t total = (uint64_t)KGM_HEADER_SIZE + (uint64_t)m->n_layers * KGM_LAYER_SIZE +
                         (uint64_t)m->params_len + (uint64_t)m->wimg_len +
                         ((m->flags & KGM_FLAG_AUTH) ? KGM_TAG_SIZE : 0u) + 4u;
  if (m->params_len > KGM_MAX_FILE || m->wimg_len > KGM_MAX_FILE || total > KGM_MAX_FILE)
    return kg_fail(detail, KG_E_TOO_BIG, "parameters %zu + weights %zu bytes (file limit %u)",
                    m->params_len, m->wimg_len, KGM_MAX_FILE);

  uint32_t h = m->in_h, w = m->in_w, c = m->in_c;
  int prev_conv = 0;
  uint64_t p_end = 0, w_end = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    rc = validate_layer(m, l, h, w, c, prev_conv, &p_end, &w_end, detail);
    if (rc != KG_OK) return rc;
    const kgm_layer *L = &m->layers[l];
    h = L->out_h;
    w = L->out_w;
    c = L->out_c;
    prev_conv = L->type == KGM_LAYER_CONV;
  }
  return KG_OK;
}

/* One section [off, off+len) of the file body [0, end): 16-byte aligned,
 * starting at or after `after`, ending at or before `end`. */
static int check_section(const char *what, uint32_t off, uint64_t len, uint64_t after,
                         uint64_t end, char *detail) {
  if (off % 16u || len % 16u)
    return kg_fail(detail, KG_E_HEADER, "%s at %u (+%llu): offset and size must be multiples of 16",
                    what, off, (unsigned long long)len);
  if (off < after)
    return kg_fail(detail, KG_E_OVERLAP, "%s at %u overlaps the preceding section (ends at %llu)",
                    what, off, (unsigned long long)after);
  if ((uint64_t)off + len > end)
    return kg_fail(detail, KG_E_RANGE, "%s [%u, +%llu) runs past the end of the data (%llu)", what,
                    off, (unsigned long long)len, (unsigned long long)end);
  return KG_OK;
}

/* Version 2: auth_size and the tag. With AUTH the tag covers [0,
 * auth_size) = everything up to the end of the weight image, and sits
 * between that end and the CRC, with nothing in between; without AUTH
 * auth_size is 0. */
static int check_auth(const uint8_t *b, uint32_t version, uint32_t flags, uint64_t w_end,
                      uint64_t body, char *detail) {
  if (version < 2u) return KG_OK;
  const uint32_t auth_size = kgm_rd32(b + KH_AUTH_SIZE);
  if (!(flags & KGM_FLAG_AUTH)) {
    if (auth_size != 0)
      return kg_fail(detail, KG_E_HEADER, "auth_size %u without the AUTH flag (must be 0)",
                     auth_size);
    return KG_OK;
  }
  if (auth_size % 16u)
    return kg_fail(detail, KG_E_HEADER, "auth_size %u is not a multiple of 16", auth_size);
  if (auth_size != w_end)
    return kg_fail(detail, KG_E_HEADER,
                   "auth_size %u, but the tag must cover the file up to the end of the weight "
                   "image (%llu)", auth_size, (unsigned long long)w_end);
  if (w_end + KGM_TAG_SIZE != body)
    return kg_fail(detail, KG_E_RANGE,
                   "%llu bytes between the weight image and the CRC; version 2 holds exactly the "
                   "%u-byte tag there", (unsigned long long)(body - w_end), KGM_TAG_SIZE);
  return KG_OK;
}

static int parse(kgm_model *m, const uint8_t *b, size_t len, char *detail) {
  if (len < 4) return kg_fail(detail, KG_E_TRUNCATED, "%zu bytes: shorter than the magic", len);
  if (memcmp(b, KGM_MAGIC, 4) != 0)
    return kg_fail(detail, KG_E_MAGIC, "magic %02x %02x %02x %02x is not \"KGMF\"", b[0], b[1],
                    b[2], b[3]);
  if (len < 6) return kg_fail(detail, KG_E_TRUNCATED, "%zu bytes: no version field", len);
  const uint32_t version = kgm_rd16(b + KH_VERSION);
  if (version < KGM_VERSION_MIN || version > KGM_VERSION)
    return kg_fail(detail, KG_E_VERSION, "version %u (this reader knows %u and %u)", version,
                   KGM_VERSION_MIN, KGM_VERSION);
  if (len < KGM_HEADER_SIZE)
    return kg_fail(detail, KG_E_TRUNCATED, "%zu bytes: shorter than the %u-byte header", len,
                    KGM_HEADER_SIZE);
  const uint32_t hdr_size = kgm_rd16(b + KH_HDRSIZE);
  if (hdr_size != KGM_HEADER_SIZE)
    return kg_fail(detail, KG_E_HEADER, "header size %u (version %u has %u)", hdr_size, version,
                    KGM_HEADER_SIZE);
  const uint32_t file_size = kgm_rd32(b + KH_FILESIZE);
  if (file_size > KGM_MAX_FILE)
    return kg_fail(detail, KG_E_TOO_BIG, "file size field %u (limit %u)", file_size, KGM_MAX_FILE);
  if (file_size < KGM_HEADER_SIZE + 4u)
    return kg_fail(detail, KG_E_HEADER, "file size field %u is smaller than header + CRC",
                    file_size);
  if (len < file_size)
    return kg_fail(detail, KG_E_TRUNCATED, "%zu bytes, the header says %u", len, file_size);
  if (len > file_size)
    return kg_fail(detail, KG_E_RANGE, "%zu bytes after the end of the model (%u bytes)",
                    len - file_size, file_size);
  const uint64_t body = file_size - 4u;
  const uint32_t crc = kgm_rd32(b + body);
  const uint32_t calc = kgm_crc32c(b, (size_t)body);
  if (crc != calc)
    return kg_fail(detail, KG_E_CRC, "CRC-32C %08x, the file says %08x", calc, crc);

  const uint32_t flags = kgm_rd32(b + KH_FLAGS);
  const uint32_t unknown = flags & KGM_FLAGS_REQUIRED_MASK & ~kgm_flags_known(version);
  if (unknown)
    return kg_fail(detail, KG_E_FLAGS, "unknown required flags 0x%04x for version %u", unknown,
                   version);
  const uint32_t res1 = version >= 2u ? KH_RES1 : KH_AUTH_SIZE;
  if (!kgm_all_zero(b + KH_RES0, 2) || !kgm_all_zero(b + res1, KGM_HEADER_SIZE - res1))
    return kg_fail(detail, KG_E_HEADER, "reserved header bytes are not zero");
  const uint32_t n_layers = kgm_rd32(b + KH_NLAYERS);
  if (n_layers == 0) return kg_fail(detail, KG_E_HEADER, "no layers");
  if (n_layers > KGM_MAX_LAYERS)
    return kg_fail(detail, KG_E_TOO_BIG, "%u layers (limit %u)", n_layers, KGM_MAX_LAYERS);
  const uint32_t lt_off = kgm_rd32(b + KH_LT_OFF);
  const uint32_t p_off = kgm_rd32(b + KH_P_OFF), p_len = kgm_rd32(b + KH_P_LEN);
  const uint32_t w_off = kgm_rd32(b + KH_W_OFF), w_len = kgm_rd32(b + KH_W_LEN);
  const uint64_t lt_len = (uint64_t)n_layers * KGM_LAYER_SIZE;
  int rc = check_section("layer table", lt_off, lt_len, KGM_HEADER_SIZE, body, detail);
  if (rc == KG_OK) rc = check_section("parameter section", p_off, p_len, lt_off + lt_len, body, detail);
  if (rc == KG_OK) rc = check_section("weight image", w_off, w_len, (uint64_t)p_off + p_len, body, detail);
  if (rc == KG_OK) rc = check_auth(b, version, flags, (uint64_t)w_off + w_len, body, detail);
  if (rc != KG_OK) return rc;

  m->version = version;
  m->flags = flags;
  m->rows = kgm_rd16(b + KH_ROWS);
  m->cols = kgm_rd16(b + KH_COLS);
  m->crypt = b[KH_CRYPT];
  m->aes_len = b[KH_AESLEN];
  memcpy(m->nonce, b + KH_NONCE, sizeof m->nonce);
  memcpy(m->kcv, b + KH_KCV, sizeof m->kcv);
  m->in_h = kgm_rd32(b + KH_IN_H);
  m->in_w = kgm_rd32(b + KH_IN_W);
  m->in_c = kgm_rd32(b + KH_IN_C);
  m->in_scale = kgm_rdf32(b + KH_IN_SCALE);
  m->in_zero = (int32_t)kgm_rd32(b + KH_IN_ZERO);
  m->n_layers = n_layers;
  if (flags & KGM_FLAG_AUTH) memcpy(m->tag, b + body - KGM_TAG_SIZE, KGM_TAG_SIZE);
  m->auth_size = version >= 2u ? kgm_rd32(b + KH_AUTH_SIZE) : 0u;
  m->params_offset = p_off;
  m->weights_offset = w_off;
  m->crc = crc;

  m->layers = calloc(n_layers, sizeof *m->layers);
  m->params = malloc(p_len ? p_len : 1u);
  m->wimg = malloc(w_len ? w_len : 1u);
  if (!m->layers || !m->params || !m->wimg) return kg_fail(detail, KG_E_NOMEM, "out of memory");
  memcpy(m->params, b + p_off, p_len);
  m->params_len = p_len;
  memcpy(m->wimg, b + w_off, w_len);
  m->wimg_len = w_len;
  for (uint32_t l = 0; l < n_layers; l++) {
    const uint8_t *e = b + lt_off + (size_t)l * KGM_LAYER_SIZE;
    kgm_layer *L = &m->layers[l];
    if (!kgm_all_zero(e + KL_RES0, 2) || !kgm_all_zero(e + KL_RES1, KGM_LAYER_SIZE - KL_RES1))
      return kg_fail(detail, KG_E_LAYER, "layer %u: reserved bytes are not zero", l);
    L->type = e[KL_TYPE];
    L->relu = e[KL_RELU];
    L->kh = e[KL_KH];
    L->kw = e[KL_KW];
    L->stride = e[KL_STRIDE];
    L->pad = e[KL_PAD];
    L->in_h = kgm_rd32(e + KL_IN_H);
    L->in_w = kgm_rd32(e + KL_IN_W);
    L->in_c = kgm_rd32(e + KL_IN_C);
    L->out_h = kgm_rd32(e + KL_OUT_H);
    L->out_w = kgm_rd32(e + KL_OUT_W);
    L->out_c = kgm_rd32(e + KL_OUT_C);
    L->K = kgm_rd32(e + KL_K);
    L->N = kgm_rd32(e + KL_N);
    L->w_off = kgm_rd32(e + KL_W_OFF);
    L->w_len = kgm_rd32(e + KL_W_LEN);
    L->p_off = kgm_rd32(e + KL_P_OFF);
    L->out_scale = kgm_rdf32(e + KL_OUT_SCALE);
  }
  return kgm_validate(m, detail);
}

int kgm_parse(kgm_model *m, const uint8_t *buf, size_t len, char *detail) {
  if (detail) detail[0] = '\0';
  if (!m) return kg_fail(detail, KG_E_INVAL, "no model");
  memset(m, 0, sizeof *m);
  if (!buf && len) return kg_fail(detail, KG_E_INVAL, "no buffer");
  const int rc = parse(m, buf ? buf : (const uint8_t *)"", len, detail);
  if (rc != KG_OK) kgm_model_free(m);
  return rc;
}

int kgm_load_file(kgm_model *m, const char *path, char *detail) {
  if (detail) detail[0] = '\0';
  if (!m) return kg_fail(detail, KG_E_INVAL, "no model");
  memset(m, 0, sizeof *m);
  if (!path) return kg_fail(detail, KG_E_INVAL, "no path");
  uint8_t *buf;
  size_t got;
  int rc = kg_file_read(path, KGM_MAX_FILE, &buf, &got, detail);
  if (rc != KG_OK) return rc;
  rc = kgm_parse(m, buf, got, detail);
  free(buf);
  return rc;
}
