/* kg_auth.c - AES-CMAC, the SP 800-108 CMAC KDF and the per-model keys
 * (kg_auth.h; docs/spec.md 11). */
#include "kg_auth.h"

#include <string.h>

/* Doubling in GF(2^128) as SP 800-38B defines it (big-endian, R = 0x87). */
static void gf_double(const uint8_t in[16], uint8_t out[16])
{
    uint8_t carry = (uint8_t)(in[0] >> 7);
    for (int i = 0; i < 15; i++) out[i] = (uint8_t)((in[i] << 1) | (in[i + 1] >> 7));
    out[15] = (uint8_t)((in[15] << 1) ^ (carry ? 0x87u : 0u));
}

void kg_cmac_init(kg_cmac_ctx *c, const kg_aes_key *k)
{
    memset(c, 0, sizeof *c);
    c->k = k;
}

static void absorb(kg_cmac_ctx *c, const uint8_t blk[16])
{
    for (int i = 0; i < 16; i++) c->x[i] ^= blk[i];
    kg_aes_encrypt_block(c->k, c->x, c->x);
}

void kg_cmac_update(kg_cmac_ctx *c, const uint8_t *msg, size_t len)
{
    while (len > 0) {
        /* The last block is kept back: it is masked with a subkey in final. */
        if (c->nbuf == 16) {
            absorb(c, c->buf);
            c->nbuf = 0;
        }
        size_t n = 16 - c->nbuf;
        if (n > len) n = len;
        memcpy(c->buf + c->nbuf, msg, n);
        c->nbuf += n;
        msg += n;
        len -= n;
    }
}

void kg_cmac_final(kg_cmac_ctx *c, uint8_t tag[16])
{
    uint8_t l[16] = {0}, k1[16], k2[16], last[16] = {0};
    kg_aes_encrypt_block(c->k, l, l);
    gf_double(l, k1);
    gf_double(k1, k2);
    memcpy(last, c->buf, c->nbuf);
    const uint8_t *sub = k1;
    if (c->nbuf < 16) {
        last[c->nbuf] = 0x80;
        sub = k2;
    }
    for (int i = 0; i < 16; i++) last[i] ^= sub[i];
    absorb(c, last);
    memcpy(tag, c->x, 16);
    memset(l, 0, sizeof l);
    memset(k1, 0, sizeof k1);
    memset(k2, 0, sizeof k2);
    memset(c, 0, sizeof *c);
}

void kg_cmac(const kg_aes_key *k, const uint8_t *msg, size_t len, uint8_t tag[16])
{
    kg_cmac_ctx c;
    kg_cmac_init(&c, k);
    kg_cmac_update(&c, msg, len);
    kg_cmac_final(&c, tag);
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int kg_kdf_cmac(const kg_aes_key *k, const uint8_t *label, size_t label_len,
                const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len)
{
    if (!k || !out || (label_len && !label) || (ctx_len && !ctx)) return KG_AES_ERR_NULL;
    if (k->nk == 0) return KG_AES_ERR_NOKEY;
    if (out_len == 0 || out_len > 4096) return KG_AES_ERR_RANGE;
    uint8_t num[4], lbits[4], zero = 0, blk[16];
    be32(lbits, (uint32_t)(out_len * 8u));
    for (uint32_t i = 1; out_len > 0; i++) {
        kg_cmac_ctx c;
        kg_cmac_init(&c, k);
        be32(num, i);
        kg_cmac_update(&c, num, 4);
        kg_cmac_update(&c, label, label_len);
        kg_cmac_update(&c, &zero, 1);
        kg_cmac_update(&c, ctx, ctx_len);
        kg_cmac_update(&c, lbits, 4);
        kg_cmac_final(&c, blk);
        size_t n = out_len < 16 ? out_len : 16;
        memcpy(out, blk, n);
        out += n;
        out_len -= n;
    }
    memset(blk, 0, sizeof blk);
    return KG_AES_OK;
}

int kg_model_keys_derive(const kg_aes_key *dev, const uint8_t nonce[12],
                         unsigned sign_bits, kg_model_keys *out)
{
    if (!dev || !nonce || !out) return KG_AES_ERR_NULL;
    if (dev->nk == 0) return KG_AES_ERR_NOKEY;
    if (sign_bits == 0 || sign_bits > 8u * KG_SIGN_MASK_MAX) return KG_AES_ERR_RANGE;
    memset(out, 0, sizeof *out);
    uint8_t raw[32];
    size_t kl = 4u * dev->nk;
    int rc = kg_kdf_cmac(dev, (const uint8_t *)KG_KDF_LABEL_ENC, KG_KDF_LABEL_LEN, nonce, 12, raw, kl);
    if (rc == KG_AES_OK) rc = kg_aes_key_init(&out->enc, raw, kl);
    if (rc == KG_AES_OK)
        rc = kg_kdf_cmac(dev, (const uint8_t *)KG_KDF_LABEL_MAC, KG_KDF_LABEL_LEN, nonce, 12, raw, kl);
    if (rc == KG_AES_OK) rc = kg_aes_key_init(&out->mac, raw, kl);
    out->smask_len = (sign_bits + 7u) / 8u;
    if (rc == KG_AES_OK)
        rc = kg_kdf_cmac(dev, (const uint8_t *)KG_KDF_LABEL_SGN, KG_KDF_LABEL_LEN, nonce, 12,
                         out->smask, out->smask_len);
    memset(raw, 0, sizeof raw);
    if (rc != KG_AES_OK) kg_model_keys_wipe(out);
    return rc;
}

void kg_model_keys_wipe(kg_model_keys *m)
{
    if (!m) return;
    kg_aes_key_wipe(&m->enc);
    kg_aes_key_wipe(&m->mac);
    memset(m->smask, 0, sizeof m->smask);
    m->smask_len = 0;
}

void kg_model_sign_key(const kg_model_keys *m, const uint8_t *dev_sign,
                       unsigned sign_bits, uint8_t *eff)
{
    size_t n = (sign_bits + 7u) / 8u;
    for (size_t i = 0; i < n; i++) eff[i] = (uint8_t)(dev_sign[i] ^ m->smask[i]);
    if (sign_bits % 8u) eff[n - 1] &= (uint8_t)((1u << (sign_bits % 8u)) - 1u);
}
