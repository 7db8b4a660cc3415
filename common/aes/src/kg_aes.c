/*
 * kg_aes.c - kgmac AES reference (see include/kg_aes.h).
 * Written from FIPS-197 and NIST SP 800-38A.
 */
#include "kg_aes.h"

#include <assert.h>
#include <string.h>

/* FIPS-197 Figure 7 (S-box) and Figure 14 (inverse S-box).  The test suite
 * recomputes both from the definition (multiplicative inverse in GF(2^8)
 * followed by the affine map of section 5.1.1). */
static const uint8_t kg_sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};
static const uint8_t kg_inv_sbox[256] = {
    0x52, 0x09, 0x6a, 0xd5, 0x30, 0x36, 0xa5, 0x38, 0xbf, 0x40, 0xa3, 0x9e, 0x81, 0xf3, 0xd7, 0xfb,
    0x7c, 0xe3, 0x39, 0x82, 0x9b, 0x2f, 0xff, 0x87, 0x34, 0x8e, 0x43, 0x44, 0xc4, 0xde, 0xe9, 0xcb,
    0x54, 0x7b, 0x94, 0x32, 0xa6, 0xc2, 0x23, 0x3d, 0xee, 0x4c, 0x95, 0x0b, 0x42, 0xfa, 0xc3, 0x4e,
    0x08, 0x2e, 0xa1, 0x66, 0x28, 0xd9, 0x24, 0xb2, 0x76, 0x5b, 0xa2, 0x49, 0x6d, 0x8b, 0xd1, 0x25,
    0x72, 0xf8, 0xf6, 0x64, 0x86, 0x68, 0x98, 0x16, 0xd4, 0xa4, 0x5c, 0xcc, 0x5d, 0x65, 0xb6, 0x92,
    0x6c, 0x70, 0x48, 0x50, 0xfd, 0xed, 0xb9, 0xda, 0x5e, 0x15, 0x46, 0x57, 0xa7, 0x8d, 0x9d, 0x84,
    0x90, 0xd8, 0xab, 0x00, 0x8c, 0xbc, 0xd3, 0x0a, 0xf7, 0xe4, 0x58, 0x05, 0xb8, 0xb3, 0x45, 0x06,
    0xd0, 0x2c, 0x1e, 0x8f, 0xca, 0x3f, 0x0f, 0x02, 0xc1, 0xaf, 0xbd, 0x03, 0x01, 0x13, 0x8a, 0x6b,
    0x3a, 0x91, 0x11, 0x41, 0x4f, 0x67, 0xdc, 0xea, 0x97, 0xf2, 0xcf, 0xce, 0xf0, 0xb4, 0xe6, 0x73,
    0x96, 0xac, 0x74, 0x22, 0xe7, 0xad, 0x35, 0x85, 0xe2, 0xf9, 0x37, 0xe8, 0x1c, 0x75, 0xdf, 0x6e,
    0x47, 0xf1, 0x1a, 0x71, 0x1d, 0x29, 0xc5, 0x89, 0x6f, 0xb7, 0x62, 0x0e, 0xaa, 0x18, 0xbe, 0x1b,
    0xfc, 0x56, 0x3e, 0x4b, 0xc6, 0xd2, 0x79, 0x20, 0x9a, 0xdb, 0xc0, 0xfe, 0x78, 0xcd, 0x5a, 0xf4,
    0x1f, 0xdd, 0xa8, 0x33, 0x88, 0x07, 0xc7, 0x31, 0xb1, 0x12, 0x10, 0x59, 0x27, 0x80, 0xec, 0x5f,
    0x60, 0x51, 0x7f, 0xa9, 0x19, 0xb5, 0x4a, 0x0d, 0x2d, 0xe5, 0x7a, 0x9f, 0x93, 0xc9, 0x9c, 0xef,
    0xa0, 0xe0, 0x3b, 0x4d, 0xae, 0x2a, 0xf5, 0xb0, 0xc8, 0xeb, 0xbb, 0x3c, 0x83, 0x53, 0x99, 0x61,
    0x17, 0x2b, 0x04, 0x7e, 0xba, 0x77, 0xd6, 0x26, 0xe1, 0x69, 0x14, 0x63, 0x55, 0x21, 0x0c, 0x7d,
};

uint8_t kg_aes_sbox(uint8_t x) { return kg_sbox[x]; }
uint8_t kg_aes_inv_sbox(uint8_t x) { return kg_inv_sbox[x]; }

/* Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (4.2.1). */
static uint8_t xtime(uint8_t a)
{
    return (uint8_t)((a << 1) ^ ((a & 0x80u) ? 0x1bu : 0x00u));
}

static uint32_t sub_word(uint32_t w)
{
    return ((uint32_t)kg_sbox[(w >> 24) & 0xffu] << 24) |
           ((uint32_t)kg_sbox[(w >> 16) & 0xffu] << 16) |
           ((uint32_t)kg_sbox[(w >> 8) & 0xffu] << 8) |
           (uint32_t)kg_sbox[w & 0xffu];
}

static uint32_t rot_word(uint32_t w) { return (w << 8) | (w >> 24); }

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- key schedule ---------------------------------------------------- */

void kg_aes_sched_init(kg_aes_sched *s, const kg_aes_key *k)
{
    assert(s && k && (k->nk == 4 || k->nk == 6 || k->nk == 8));
    memset(s, 0, sizeof *s);
    s->nk = k->nk;
    for (unsigned j = 0; j < k->nk; j++) {
        s->key[j] = load_be32(&k->key[4 * j]);
        s->win[j] = load_be32(&k->key[4 * (k->nk - 1 - j)]);
    }
    s->next = 0;
    s->rcon = 0x01;
}

/* One step of the FIPS-197 5.2 recurrence, unbounded in i: Rcon keeps
 * going as successive powers of x (docs/spec.md, Deep-Lock keystream). */
uint32_t kg_aes_sched_next(kg_aes_sched *s)
{
    const uint64_t i = s->next++;
    const unsigned nk = s->nk;
    if (i < nk)
        return s->key[i]; /* the window already holds w[0..nk-1] */
    uint32_t temp = s->win[0];
    const unsigned ph = (unsigned)(i % nk);
    if (ph == 0) {
        temp = sub_word(rot_word(temp)) ^ ((uint32_t)s->rcon << 24);
        s->rcon = xtime(s->rcon);
    } else if (nk > 6 && ph == 4) {
        temp = sub_word(temp);
    }
    const uint32_t w = s->win[nk - 1] ^ temp;
    memmove(&s->win[1], &s->win[0], 7 * sizeof s->win[0]);
    s->win[0] = w;
    return w;
}

void kg_aes_sched_skip(kg_aes_sched *s, uint64_t n)
{
    while (n--) (void)kg_aes_sched_next(s);
}

int kg_aes_key_init(kg_aes_key *k, const uint8_t *key, size_t key_bytes)
{
    if (!k) return KG_AES_ERR_NULL;
    memset(k, 0, sizeof *k);
    if (!key) return KG_AES_ERR_NULL;
    if (key_bytes != 16 && key_bytes != 24 && key_bytes != 32)
        return KG_AES_ERR_KEYLEN;
    memcpy(k->key, key, key_bytes);
    k->nk = (unsigned)(key_bytes / 4);
    k->nr = k->nk + 6;
    kg_aes_sched s;
    kg_aes_sched_init(&s, k);
    for (unsigned i = 0; i < 4 * (k->nr + 1); i++) k->rk[i] = kg_aes_sched_next(&s);
    memset(&s, 0, sizeof s);
    return KG_AES_OK;
}

void kg_aes_key_wipe(kg_aes_key *k)
{
    if (!k) return;
    volatile uint8_t *p = (volatile uint8_t *)k;
    for (size_t i = 0; i < sizeof *k; i++) p[i] = 0;
}

void kg_aes_expand_words(const kg_aes_key *k, uint32_t first_word, size_t n,
                         uint32_t *w)
{
    assert(k && (w || n == 0));
    kg_aes_sched s;
    kg_aes_sched_init(&s, k);
    kg_aes_sched_skip(&s, first_word);
    for (size_t i = 0; i < n; i++) w[i] = kg_aes_sched_next(&s);
    memset(&s, 0, sizeof s);
}

/* ---- cipher (FIPS-197 section 5.1) ------------------------------------ */
/* State layout: st[r + 4c] = s(r,c), i.e. the input byte order. */

static void add_round_key(uint8_t st[16], const uint32_t *rk)
{
    for (unsigned c = 0; c < 4; c++) {
        st[4 * c + 0] ^= (uint8_t)(rk[c] >> 24);
        st[4 * c + 1] ^= (uint8_t)(rk[c] >> 16);
        st[4 * c + 2] ^= (uint8_t)(rk[c] >> 8);
        st[4 * c + 3] ^= (uint8_t)rk[c];
    }
}

static void sub_bytes(uint8_t st[16])
{
    for (unsigned i = 0; i < 16; i++) st[i] = kg_sbox[st[i]];
}

/* Row r rotates left by r columns: s'(r,c) = s(r, (c + r) mod 4). */
static void shift_rows(uint8_t st[16])
{
    uint8_t t[16];
    for (unsigned c = 0; c < 4; c++)
        for (unsigned r = 0; r < 4; r++) t[r + 4 * c] = st[r + 4 * ((c + r) & 3u)];
    memcpy(st, t, 16);
}

/* Each column times a(x) = {03}x^3 + {01}x^2 + {01}x + {02}. */
static void mix_columns(uint8_t st[16])
{
    for (unsigned c = 0; c < 4; c++) {
        uint8_t *col = &st[4 * c];
        const uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        const uint8_t all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
        col[0] = (uint8_t)(a0 ^ all ^ xtime((uint8_t)(a0 ^ a1)));
        col[1] = (uint8_t)(a1 ^ all ^ xtime((uint8_t)(a1 ^ a2)));
        col[2] = (uint8_t)(a2 ^ all ^ xtime((uint8_t)(a2 ^ a3)));
        col[3] = (uint8_t)(a3 ^ all ^ xtime((uint8_t)(a3 ^ a0)));
    }
}

void kg_aes_encrypt_block(const kg_aes_key *k, const uint8_t in[16],
                          uint8_t out[16])
{
    assert(k && in && out && k->nk != 0);
    uint8_t st[16];
    memcpy(st, in, 16);
    add_round_key(st, &k->rk[0]);
    for (unsigned r = 1; r < k->nr; r++) {
        sub_bytes(st);
        shift_rows(st);
        mix_columns(st);
        add_round_key(st, &k->rk[4 * r]);
    }
    sub_bytes(st);
    shift_rows(st);
    add_round_key(st, &k->rk[4 * k->nr]);
    memcpy(out, st, 16);
}

/* ---- Deep-Lock keystream --------------------------------------------- */

/* Iterator over ks[pos], ks[pos+1], ... (ks[p] = byte p mod 4 of
 * w[nk + p / 4]). */
typedef struct dl_iter {
    kg_aes_sched s;
    uint32_t word;
    unsigned byte; /* next byte of `word` to hand out, 0..4 */
} dl_iter;

static void dl_iter_init(dl_iter *it, const kg_aes_key *k, uint64_t pos)
{
    kg_aes_sched_init(&it->s, k);
    kg_aes_sched_skip(&it->s, k->nk + pos / 4);
    it->word = kg_aes_sched_next(&it->s);
    it->byte = (unsigned)(pos % 4);
}

static uint8_t dl_iter_byte(dl_iter *it)
{
    if (it->byte == 4) {
        it->word = kg_aes_sched_next(&it->s);
        it->byte = 0;
    }
    return (uint8_t)(it->word >> (24 - 8 * it->byte++));
}

static void dl_iter_wipe(dl_iter *it)
{
    volatile uint8_t *p = (volatile uint8_t *)it;
    for (size_t i = 0; i < sizeof *it; i++) p[i] = 0;
}

void kg_ks_deeplock(const kg_aes_key *k, uint64_t pos, size_t len, uint8_t *out)
{
    assert(k && k->nk && (out || len == 0));
    if (len == 0) return;
    dl_iter it;
    dl_iter_init(&it, k, pos);
    for (size_t i = 0; i < len; i++) out[i] = dl_iter_byte(&it);
    dl_iter_wipe(&it);
}

/* c = S(b ^ ks[p]) (encrypt) or b = InvS(c) ^ ks[p] (decrypt), as
 * docs/spec.md, Weight encryption, defines them. */
static void dl_apply(const kg_aes_key *k, uint64_t pos, uint8_t *buf,
                     size_t len, int decrypt)
{
    assert(k && k->nk && (buf || len == 0));
    if (len == 0) return;
    dl_iter it;
    dl_iter_init(&it, k, pos);
    for (size_t i = 0; i < len; i++) {
        const uint8_t ks = dl_iter_byte(&it);
        buf[i] = decrypt ? (uint8_t)(kg_inv_sbox[buf[i]] ^ ks)
                         : kg_sbox[(uint8_t)(buf[i] ^ ks)];
    }
    dl_iter_wipe(&it);
}

void kg_deeplock_encrypt(const kg_aes_key *k, uint64_t pos, uint8_t *buf,
                         size_t len)
{
    dl_apply(k, pos, buf, len, 0);
}

void kg_deeplock_decrypt(const kg_aes_key *k, uint64_t pos, uint8_t *buf,
                         size_t len)
{
    dl_apply(k, pos, buf, len, 1);
}

/* ---- CTR (SP 800-38A 6.5) and KCV ------------------------------------- */

static void ctr_block(const kg_aes_key *k, const uint8_t nonce[12],
                      uint32_t index, uint8_t out[16])
{
    uint8_t cb[16];
    memcpy(cb, nonce, 12);
    store_be32(&cb[12], index);
    kg_aes_encrypt_block(k, cb, out);
}

/* XOR (or, with xor_into == 0, write) CTR keystream over buf. */
static void ctr_apply(const kg_aes_key *k, const uint8_t nonce[12],
                      uint64_t pos, uint8_t *buf, size_t len, int xor_into)
{
    assert(k && k->nk && nonce && (buf || len == 0));
    assert(pos <= KG_CTR_MAX_BYTES && len <= KG_CTR_MAX_BYTES - pos);
    uint8_t ks[16];
    size_t done = 0;
    while (done < len) {
        const uint64_t p = pos + done;
        const unsigned off = (unsigned)(p % 16);
        ctr_block(k, nonce, (uint32_t)(p / 16), ks);
        size_t n = 16 - off;
        if (n > len - done) n = len - done;
        for (size_t i = 0; i < n; i++)
            buf[done + i] = (uint8_t)((xor_into ? buf[done + i] : 0) ^ ks[off + i]);
        done += n;
    }
    memset(ks, 0, sizeof ks);
}

void kg_ks_ctr(const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
               size_t len, uint8_t *out)
{
    ctr_apply(k, nonce, pos, out, len, 0);
}

void kg_ctr_xcrypt(const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
                   uint8_t *buf, size_t len)
{
    ctr_apply(k, nonce, pos, buf, len, 1);
}

void kg_kcv(const kg_aes_key *k, const uint8_t nonce[12], uint8_t out[8])
{
    assert(k && k->nk && nonce && out);
    uint8_t blk[16];
    ctr_block(k, nonce, 0xffffffffu, blk);
    memcpy(out, blk, 8);
    memset(blk, 0, sizeof blk);
}

/* ---- checked generic entry points ------------------------------------ */

static int crypt_check(int mode, const kg_aes_key *k, const uint8_t *nonce,
                       uint64_t pos, const uint8_t *buf, size_t len)
{
    if (mode != KG_CRYPT_NONE && mode != KG_CRYPT_DEEPLOCK && mode != KG_CRYPT_CTR)
        return KG_AES_ERR_MODE;
    if (!buf && len) return KG_AES_ERR_NULL;
    if (mode == KG_CRYPT_NONE) return KG_AES_OK;
    if (!k) return KG_AES_ERR_NULL;
    if (k->nk != 4 && k->nk != 6 && k->nk != 8) return KG_AES_ERR_NOKEY;
    if (mode == KG_CRYPT_CTR) {
        if (!nonce) return KG_AES_ERR_NULL;
        if (pos > KG_CTR_MAX_BYTES || len > KG_CTR_MAX_BYTES - pos)
            return KG_AES_ERR_RANGE;
    } else if (pos > UINT64_MAX - len) {
        return KG_AES_ERR_RANGE;
    }
    return KG_AES_OK;
}

static int crypt_apply(int mode, const kg_aes_key *k, const uint8_t *nonce,
                       uint64_t pos, uint8_t *buf, size_t len, int decrypt)
{
    const int rc = crypt_check(mode, k, nonce, pos, buf, len);
    if (rc != KG_AES_OK || len == 0) return rc;
    if (mode == KG_CRYPT_DEEPLOCK) dl_apply(k, pos, buf, len, decrypt);
    else if (mode == KG_CRYPT_CTR) kg_ctr_xcrypt(k, nonce, pos, buf, len);
    return KG_AES_OK;
}

int kg_crypt_encrypt(int mode, const kg_aes_key *k, const uint8_t *nonce,
                     uint64_t pos, uint8_t *buf, size_t len)
{
    return crypt_apply(mode, k, nonce, pos, buf, len, 0);
}

int kg_crypt_decrypt(int mode, const kg_aes_key *k, const uint8_t *nonce,
                     uint64_t pos, uint8_t *buf, size_t len)
{
    return crypt_apply(mode, k, nonce, pos, buf, len, 1);
}

const char *kg_aes_strerror(int code)
{
    switch (code) {
    case KG_AES_OK: return "success";
    case KG_AES_ERR_NULL: return "required pointer argument is NULL";
    case KG_AES_ERR_KEYLEN: return "AES key length must be 16, 24 or 32 bytes";
    case KG_AES_ERR_MODE: return "unknown encryption mode (expected 0 none, 1 Deep-Lock, 2 CTR)";
    case KG_AES_ERR_RANGE: return "byte range lies outside the keystream";
    case KG_AES_ERR_NOKEY: return "AES key structure is not initialised";
    default: return "unknown kg_aes error code";
    }
}
