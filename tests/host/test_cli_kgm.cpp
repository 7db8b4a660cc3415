// The kgmac subcommands on libkgmac, run as the real binary: keygen, lock,
// inspect, infer and bench. A tiny conv+FC model is trained and quantized
// in-process (kgml) and its int8 reference (kg_qmodel_infer) is the oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"
#include "kgmac/lock.h"
#include "kgmac/status.h"
#include "kgml/fmodel.h"
#include "kgml/kgq.h"
#include "kgml/quant.h"
#include "kgml/train.h"
}
#include "test_util.h"

namespace {

using Bytes = std::vector<uint8_t>;

using CliOut = kgtest::CliResult;

// Run `kgmac ARGS` (timeout 300 s), stdout and stderr captured separately.
CliOut kgmac(const std::string &args) { return kgtest::run_cli(args, "", 300); }

bool has(const std::string &s, const std::string &what) { return s.find(what) != std::string::npos; }

// The number after "key": in a JSON text (NaN if absent).
double json_num(const std::string &j, const std::string &key) {
  const std::string k = "\"" + key + "\": ";
  const size_t at = j.find(k);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(j.c_str() + at + k.size(), nullptr);
}

void put_be32(Bytes &b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back((uint8_t)(v >> s));
}

// Plain (not gzipped) IDX files of the first n test images and labels.
void write_idx(const std::string &img, const std::string &lab, uint32_t n) {
  const kgml_dataset &t = kgtest::dataset("t10k");
  Bytes b = {0, 0, 8, 3};
  put_be32(b, n);
  put_be32(b, t.rows);
  put_be32(b, t.cols);
  b.insert(b.end(), t.pix, t.pix + (size_t)n * t.rows * t.cols);
  kgtest::write_bytes(img, b);
  Bytes l = {0, 0, 8, 1};
  put_be32(l, n);
  l.insert(l.end(), t.labels, t.labels + n);
  kgtest::write_bytes(lab, l);
}

// Every file of one test, prefixed with the test's name so that tests can
// run in parallel.
struct Files {
  std::string dir, kgf, kgq, keys, img, lab;
  explicit Files(const std::string &name)
      : dir(kgtest::tmp_path("cli_kgm_" + name + "_")),
        kgf(dir + "m.kgf"),
        kgq(dir + "m.kgq"),
        keys(dir + "k.kgk"),
        img(dir + "img.idx"),
        lab(dir + "lab.idx") {}
  std::string p(const std::string &f) const { return dir + f; }
};

constexpr uint32_t kImages = 50;

class CliKgm : public ::testing::Test {
 protected:
  // conv 3x3/2 pad 1 1->4 ReLU (14x14x4), FC 784->24 ReLU, FC 24->10:
  // a convolution whose channel count is not a multiple of 16 feeds an FC
  // layer, so the locker's padding path is exercised. Trained for a few
  // steps so that its predictions are not all one class.
  static void SetUpTestSuite() {
    const kgml_layer_spec s[3] = {{KGML_LAYER_CONV, 4, 3, 2, 1, 1},
                                  {KGML_LAYER_FC, 24, 0, 0, 0, 1},
                                  {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
    char d[KGML_DETAIL_LEN] = "";
    ASSERT_EQ(kgml_model_build(&fm_, "tiny", 28, 28, 1, s, 3, 5, d), KGML_OK) << d;
    kgml_train_opts o;
    kgml_train_defaults(&o, "cnn");
    o.n_train = 3000;
    o.max_steps = 80;
    o.nthreads = 1;
    o.lr = 3e-3;
    const kgml_dataset &t = kgtest::dataset("t10k");
    ASSERT_EQ(kgml_train(&fm_, &t, &o, nullptr, d), KGML_OK) << d;
    ASSERT_EQ(kgml_quantize(&fm_, &t, 500, &qm_, d), KGML_OK) << d;
    // The reference: int8 logits and predictions of the unlocked model.
    const size_t in = kg_qmodel_input_size(&qm_);
    classes_ = kg_qmodel_classes(&qm_);
    ref_logits_.assign((size_t)kImages * classes_, 0);
    ref_pred_.assign(kImages, 0);
    std::vector<int8_t> x(in);
    for (uint32_t i = 0; i < kImages; i++) {
      kg_qmodel_quantize_input(&qm_, t.pix + (size_t)i * in, in, x.data());
      uint32_t p = 0;
      ASSERT_EQ(kg_qmodel_infer(&qm_, x.data(), ref_logits_.data() + (size_t)i * classes_, &p),
                KGML_OK);
      ref_pred_[i] = (uint8_t)p;
    }
  }
  static void TearDownTestSuite() {
    kg_qmodel_free(&qm_);
    kgml_model_free(&fm_);
  }

  // Model files, a key file and 50 images for test `name`.
  static Files setup(const std::string &name) {
    Files f(name);
    char d[KGML_DETAIL_LEN] = "";
    EXPECT_EQ(kg_qmodel_save(&qm_, f.kgq.c_str(), d), KGML_OK) << d;
    EXPECT_EQ(kgml_model_save(&fm_, f.kgf.c_str(), d), KGML_OK) << d;
    write_idx(f.img, f.lab, kImages);
    std::remove(f.keys.c_str());
    const CliOut r = kgmac("keygen --out " + f.keys);
    EXPECT_EQ(r.code, 0) << r.all();
    return f;
  }

  static std::vector<int8_t> logits_of(const std::string &path) {
    const Bytes b = kgtest::read_bytes(path);
    return std::vector<int8_t>(b.begin(), b.end());
  }

  static kgml_model fm_;
  static kg_qmodel qm_;
  static uint32_t classes_;
  static std::vector<int8_t> ref_logits_;
  static std::vector<uint8_t> ref_pred_;
};

kgml_model CliKgm::fm_;
kg_qmodel CliKgm::qm_;
uint32_t CliKgm::classes_;
std::vector<int8_t> CliKgm::ref_logits_;
std::vector<uint8_t> CliKgm::ref_pred_;

uint32_t file_mode(const std::string &p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 ? (uint32_t)(st.st_mode & 07777) : 0xFFFFFFFFu;
}

// The message kg_strerror gives for code: the CLI must print it.
std::string msg(int code) { return kg_strerror(code); }

}  // namespace

TEST(CliKgmUsage, HelpAndUsageErrors) {
  CliOut r = kgmac("--help");
  EXPECT_EQ(r.code, 0);
  for (const char *c : {"keygen", "lock", "inspect", "infer", "bench"}) {
    EXPECT_TRUE(has(r.out, c)) << c << r.out;
    const CliOut h = kgmac(std::string(c) + " --help");
    EXPECT_EQ(h.code, 0) << c;
    EXPECT_TRUE(has(h.out, std::string("usage: kgmac ") + c)) << h.out;
  }
  const char *usage[] = {
      "keygen",
      "keygen --out x.kgk --aes 100",
      "keygen --out x.kgk --rows 0",
      "keygen --out x.kgk --rows 64 --cols 64",
      "keygen --out x.kgk --wrong-sign-from a.kgk --aes 256",
      "keygen --out x.kgk --wrong-sign-from a.kgk --wrong-aes-from a.kgk",
      "lock --model m.kgq",
      "lock --model m.kgq --out m.kgm",
      "lock --model m.kgq --keys k.kgk --out m.kgm --crypt rot13",
      "inspect",
      "inspect a.kgm b.kgm",
      "inspect a.kgm --verbose",
      "infer --images i.idx",
      "infer --model m.kgm",
      "infer --model m.kgm --images i.idx --backend fpga",
      "infer --model m.kgm --images i.idx --policy maybe",
      "infer --model m.kgm --images i.idx --jobs 0",
      "infer --model m.kgm --images i.idx --threshold 256",
      "infer --model m.kgm --images i.idx --count x",
      "bench",
      "bench --model m.kgm --batch 0",
      "bench --model m.kgm --backend gpu",
  };
  for (const char *u : usage) {
    r = kgmac(u);
    EXPECT_EQ(r.code, 2) << u << "\n" << r.all();
    EXPECT_TRUE(has(r.err, "kgmac ")) << u << "\n" << r.all();
  }
}

TEST_F(CliKgm, KeygenMode0600RefusesOverwriteAndDerivesWrongKeys) {
  const Files f = setup("keygen");
  EXPECT_EQ(file_mode(f.keys), 0600u);
  kg_keys k, w;
  uint32_t rows = 0, cols = 0, r2 = 0, c2 = 0;
  char d[KG_DETAIL_LEN] = "";
  ASSERT_EQ(kg_keyfile_read(f.keys.c_str(), &k, &rows, &cols, d), KG_OK) << d;
  EXPECT_EQ(k.aes_len, 16u);
  EXPECT_EQ(k.sign_bits, rows * cols);
  EXPECT_EQ(kgtest::read_bytes(f.keys).size(), 16u + 16u + (rows * cols + 7) / 8 + 4u);

  const Bytes before = kgtest::read_bytes(f.keys);
  CliOut r = kgmac("keygen --out " + f.keys);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, "kgmac keygen: ")) << r.err;
  EXPECT_TRUE(has(r.err, "already exists")) << r.err;
  EXPECT_TRUE(has(r.err, "--force")) << r.err;
  EXPECT_EQ(kgtest::read_bytes(f.keys), before);
  r = kgmac("keygen --force --out " + f.keys);
  EXPECT_EQ(r.code, 0) << r.all();
  EXPECT_NE(kgtest::read_bytes(f.keys), before);
  EXPECT_EQ(file_mode(f.keys), 0600u);

  const std::string big = f.p("big.kgk");
  std::remove(big.c_str());
  r = kgmac("keygen --aes 256 --rows 4 --cols 8 --out " + big);
  EXPECT_EQ(r.code, 0) << r.all();
  ASSERT_EQ(kg_keyfile_read(big.c_str(), &w, &r2, &c2, d), KG_OK) << d;
  EXPECT_EQ(w.aes_len, 32u);
  EXPECT_EQ(r2, 4u);
  EXPECT_EQ(c2, 8u);

  // Right AES key, new sign key; and the other way round.
  ASSERT_EQ(kg_keyfile_read(f.keys.c_str(), &k, &rows, &cols, d), KG_OK) << d;
  const std::string ws = f.p("wsign.kgk"), wa = f.p("waes.kgk");
  std::remove(ws.c_str());
  std::remove(wa.c_str());
  r = kgmac("keygen --out " + ws + " --wrong-sign-from " + f.keys);
  EXPECT_EQ(r.code, 0) << r.all();
  ASSERT_EQ(kg_keyfile_read(ws.c_str(), &w, &r2, &c2, d), KG_OK) << d;
  EXPECT_EQ(r2, rows);
  EXPECT_EQ(c2, cols);
  EXPECT_EQ(w.aes_len, k.aes_len);
  EXPECT_EQ(std::memcmp(w.aes_key, k.aes_key, k.aes_len), 0);
  EXPECT_NE(std::memcmp(w.sign_key, k.sign_key, (k.sign_bits + 7) / 8), 0);
  EXPECT_EQ(file_mode(ws), 0600u);
  r = kgmac("keygen --out " + wa + " --wrong-aes-from " + f.keys);
  EXPECT_EQ(r.code, 0) << r.all();
  ASSERT_EQ(kg_keyfile_read(wa.c_str(), &w, &r2, &c2, d), KG_OK) << d;
  EXPECT_EQ(w.aes_len, k.aes_len);
  EXPECT_NE(std::memcmp(w.aes_key, k.aes_key, k.aes_len), 0);
  EXPECT_EQ(std::memcmp(w.sign_key, k.sign_key, (k.sign_bits + 7) / 8), 0);
  // A tiny sign key still gets a different one.
  const std::string tiny = f.p("tiny.kgk"), tinyw = f.p("tinyw.kgk");
  std::remove(tiny.c_str());
  std::remove(tinyw.c_str());
  ASSERT_EQ(kgmac("keygen --rows 1 --cols 2 --out " + tiny).code, 0);
  ASSERT_EQ(kgmac("keygen --out " + tinyw + " --wrong-sign-from " + tiny).code, 0);
  ASSERT_EQ(kg_keyfile_read(tiny.c_str(), &k, &rows, &cols, d), KG_OK) << d;
  ASSERT_EQ(kg_keyfile_read(tinyw.c_str(), &w, &r2, &c2, d), KG_OK) << d;
  EXPECT_NE(k.sign_key[0] & 3, w.sign_key[0] & 3);
}

TEST_F(CliKgm, KeyFileMissingWrongSizeOrPermsIsExit1WithTheProblem) {
  const Files f = setup("keyfile");
  const std::string kgm = f.p("m.kgm");
  const std::string lock = "lock --model " + f.kgq + " --out " + kgm + " --force --keys ";
  const std::string infer =
      "infer --backend model --model " + kgm + " --images " + f.img + " --keys ";
  ASSERT_EQ(kgmac(lock + f.keys).code, 0);

  const std::string missing = f.p("missing.kgk");
  std::remove(missing.c_str());
  for (const std::string &cmd : {lock, infer}) {
    CliOut r = kgmac(cmd + missing);
    EXPECT_EQ(r.code, 1) << r.all();
    EXPECT_TRUE(has(r.err, "key file " + missing)) << r.err;
    EXPECT_TRUE(has(r.err, msg(KG_E_NOENT))) << r.err;
  }

  // One byte too many, mode 0600.
  Bytes k = kgtest::read_bytes(f.keys);
  const std::string longk = f.p("long.kgk");
  k.push_back(0);
  kgtest::write_bytes(longk, k);
  chmod(longk.c_str(), 0600);
  CliOut r = kgmac(lock + longk);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, msg(KG_E_KEYFILE))) << r.err;
  r = kgmac(infer + longk);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, msg(KG_E_KEYFILE))) << r.err;

  // The right bytes, readable by others.
  const std::string open = f.p("open.kgk");
  kgtest::write_bytes(open, kgtest::read_bytes(f.keys));
  chmod(open.c_str(), 0644);
  for (const std::string &cmd : {lock, infer}) {
    r = kgmac(cmd + open);
    EXPECT_EQ(r.code, 1) << r.all();
    EXPECT_TRUE(has(r.err, msg(KG_E_KEYPERM))) << r.err;
    EXPECT_TRUE(has(r.err, "0644")) << r.err;
    EXPECT_TRUE(has(r.err, "0600")) << r.err;
  }
  chmod(open.c_str(), 0600);
  EXPECT_EQ(kgmac(infer + open).code, 0);
}

TEST_F(CliKgm, LockThenInspectShowsTheLayers) {
  const Files f = setup("inspect");
  const std::string kgm = f.p("m.kgm");
  std::remove(kgm.c_str());
  CliOut r = kgmac("lock --model " + f.kgq + " --keys " + f.keys + " --out " + kgm);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "3 layers")) << r.out;
  // CTR is the default lock, and needs no warning; the file is version 2.
  EXPECT_TRUE(has(r.out, "crypt ctr")) << r.out;
  EXPECT_TRUE(has(r.out, "version 2")) << r.out;
  EXPECT_TRUE(has(r.out, "auth on")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  // No overwrite without --force.
  r = kgmac("lock --model " + f.kgq + " --keys " + f.keys + " --out " + kgm);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, "--force")) << r.err;

  kgm_model m;
  char d[KG_DETAIL_LEN] = "";
  ASSERT_EQ(kgm_load_file(&m, kgm.c_str(), d), KG_OK) << d;
  r = kgmac("inspect " + kgm);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "sign lock   on")) << r.out;
  EXPECT_TRUE(has(r.out, "ctr, AES-128")) << r.out;
  EXPECT_TRUE(has(r.out, "format version 2")) << r.out;
  char line[128];
  ASSERT_EQ(m.version, 2u);
  ASSERT_TRUE(m.flags & KGM_FLAG_AUTH);
  std::snprintf(line, sizeof line, "AUTH        on: per-model keys, tag over bytes [0, %u)",
                m.auth_size);
  EXPECT_TRUE(has(r.out, line)) << r.out;
  std::string tag_hex;
  for (uint8_t b : m.tag) {
    char h[3];
    std::snprintf(h, sizeof h, "%02x", b);
    tag_hex += h;
  }
  EXPECT_TRUE(has(r.out, "tag         " + tag_hex)) << r.out;
  std::snprintf(line, sizeof line, "geometry    %ux%u", m.rows, m.cols);
  EXPECT_TRUE(has(r.out, line)) << r.out;
  std::snprintf(line, sizeof line, "0x%08x", m.crc);
  EXPECT_TRUE(has(r.out, line)) << r.out;
  EXPECT_TRUE(has(r.out, "layers      3")) << r.out;
  EXPECT_TRUE(has(r.out, "conv")) << r.out;
  EXPECT_TRUE(has(r.out, "3x3/2/1")) << r.out;
  EXPECT_TRUE(has(r.out, "28x28x1")) << r.out;
  EXPECT_TRUE(has(r.out, "14x14x4")) << r.out;
  // Every layer's weight bytes and keystream position are in the table.
  for (uint32_t l = 0; l < m.n_layers; l++) {
    std::snprintf(line, sizeof line, " %u %9u %9u", m.layers[l].N, m.layers[l].w_len,
                  m.layers[l].w_off);
    EXPECT_TRUE(has(r.out, line)) << line << "\n" << r.out;
  }
  r = kgmac("inspect --json " + kgm);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_EQ(json_num(r.out, "rows"), (double)m.rows);
  EXPECT_EQ(json_num(r.out, "weight_bytes"), (double)m.wimg_len);
  EXPECT_TRUE(has(r.out, "\"crypt\": \"ctr\"")) << r.out;
  EXPECT_TRUE(has(r.out, "\"sign\": true")) << r.out;
  EXPECT_TRUE(has(r.out, "\"auth\": true")) << r.out;
  EXPECT_EQ(json_num(r.out, "auth_size"), (double)m.auth_size);
  EXPECT_EQ(json_num(r.out, "version"), 2.0);
  EXPECT_TRUE(has(r.out, "\"tag\": \"" + tag_hex + "\"")) << r.out;
  size_t layers = 0;
  for (size_t at = 0; (at = r.out.find("\"type\": ", at)) != std::string::npos; at++) layers++;
  EXPECT_EQ(layers, 3u);
  kgm_model_free(&m);

  // Unlocked: no key needed.
  const std::string plain = f.p("plain.kgm");
  r = kgmac("lock --crypt none --no-sign --model " + f.kgq + " --out " + plain + " --force");
  ASSERT_EQ(r.code, 0) << r.all();
  r = kgmac("inspect " + plain);
  EXPECT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "sign lock   off")) << r.out;
  EXPECT_TRUE(has(r.out, "crypt       none")) << r.out;
  EXPECT_TRUE(has(r.out, "AUTH        off")) << r.out;
}

// A version-1 file (written through the C API; the CLI writes version 2
// only) is refused by a device that accepts only authenticated models, and
// runs bit-exact once --legacy provisions POLICY.LEGACY.
TEST_F(CliKgm, Version1NeedsLegacy) {
  const Files f = setup("legacy");
  kg_keys keys;
  uint32_t rows = 0, cols = 0;
  char d[KG_DETAIL_LEN] = "";
  ASSERT_EQ(kg_keyfile_read(f.keys.c_str(), &keys, &rows, &cols, d), KG_OK) << d;
  kglock_opts o;
  std::memset(&o, 0, sizeof o);
  o.rows = rows;
  o.cols = cols;
  o.crypt = KGM_CRYPT_CTR;
  o.sign = 1;
  o.keys = &keys;
  o.version = 1;
  kgm_model m;
  ASSERT_EQ(kglock_model(&qm_, &o, &m, d), KG_OK) << d;
  const std::string v1 = f.p("v1.kgm");
  ASSERT_EQ(kgm_save_file(&m, v1.c_str(), 1, d), KG_OK) << d;
  kgm_model_free(&m);
  kg_keys_wipe(&keys);
  CliOut r = kgmac("inspect " + v1);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "format version 1")) << r.out;
  EXPECT_TRUE(has(r.out, "AUTH        off (version 1")) << r.out;
  const std::string base = "infer --backend model --model " + v1 + " --keys " + f.keys +
                           " --images " + f.img + " --force --logits " + f.p("lg.bin") +
                           " --preds " + f.p("pr.bin");
  r = kgmac(base);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, msg(KG_E_UNAUTH))) << r.err;
  EXPECT_TRUE(has(r.err, "(status " + std::to_string(KG_E_UNAUTH) + ")")) << r.err;
  EXPECT_TRUE(has(r.err, "POLICY.LEGACY = 0")) << r.err;
  r = kgmac(base + " --legacy");
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_EQ(logits_of(f.p("lg.bin")), ref_logits_);
  r = kgmac("bench --backend model --batch 2 --model " + v1 + " --keys " + f.keys);
  EXPECT_EQ(r.code, 1) << r.all();
  r = kgmac("bench --backend model --batch 2 --legacy --model " + v1 + " --keys " + f.keys);
  EXPECT_EQ(r.code, 0) << r.all();
}

// --crypt deeplock still works but says, in one line on stderr, why it is
// not the default.
TEST_F(CliKgm, DeeplockPrintsOneWarningLine) {
  const Files f = setup("deeplock");
  const std::string kgm = f.p("dl.kgm");
  CliOut r = kgmac("lock --crypt deeplock --model " + f.kgq + " --keys " + f.keys + " --out " +
                   kgm + " --force");
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "crypt deeplock")) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(has(r.err, "kgmac lock: warning: deeplock")) << r.err;
  EXPECT_TRUE(has(r.err, "16-byte")) << r.err;
  EXPECT_TRUE(has(r.err, "docs/security.md")) << r.err;
  // CTR, explicit or by default, and an unencrypted lock print none.
  for (const char *c : {"--crypt ctr ", "", "--crypt none "}) {
    r = kgmac(std::string("lock ") + c + "--model " + f.kgq + " --keys " + f.keys + " --out " +
              kgm + " --force");
    ASSERT_EQ(r.code, 0) << r.all();
    EXPECT_TRUE(r.err.empty()) << c << r.err;
  }
}

TEST_F(CliKgm, InspectCorruptFilesFailWithTheReadersMessage) {
  const Files f = setup("corrupt");
  const std::string kgm = f.p("m.kgm");
  ASSERT_EQ(kgmac("lock --crypt ctr --model " + f.kgq + " --keys " + f.keys + " --out " + kgm +
                  " --force")
                .code,
            0);
  const Bytes good = kgtest::read_bytes(kgm);
  ASSERT_GT(good.size(), 200u);
  Bytes half(good.begin(), good.begin() + good.size() / 2);
  Bytes flip = good;
  flip[good.size() / 2] ^= 0x10;
  Bytes junk(300, 'x');
  Bytes hdr_only(good.begin(), good.begin() + 100);
  int n = 0;
  for (const Bytes &b : {half, flip, junk, hdr_only}) {
    kgm_model m;
    char d[KG_DETAIL_LEN] = "";
    const int expect = kgm_parse(&m, b.data(), b.size(), d);
    ASSERT_NE(expect, KG_OK);
    const std::string bad = f.p("bad" + std::to_string(n++) + ".kgm");
    kgtest::write_bytes(bad, b);
    const CliOut r = kgmac("inspect " + bad);
    EXPECT_EQ(r.code, 1) << r.all();
    EXPECT_TRUE(has(r.err, "kgmac inspect: " + bad)) << r.err;
    EXPECT_TRUE(has(r.err, msg(expect))) << msg(expect) << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "(status " + std::to_string(expect) + ")")) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const CliOut r = kgmac("inspect " + f.p("nonexistent.kgm"));
  EXPECT_EQ(r.code, 1) << r.all();
}

TEST_F(CliKgm, RightKeyOnModelBackendIsBitExactWithTheInt8Reference) {
  const Files f = setup("right");
  for (const char *crypt : {"deeplock", "ctr"}) {
    const std::string kgm = f.p(std::string(crypt) + ".kgm");
    ASSERT_EQ(kgmac(std::string("lock --crypt ") + crypt + " --model " + f.kgq + " --keys " +
                    f.keys + " --out " + kgm + " --force")
                  .code,
              0);
    for (const char *jobs : {"1", "2"}) {
      const std::string lg = f.p("logits.bin"), pr = f.p("preds.bin");
      std::remove(lg.c_str());
      std::remove(pr.c_str());
      const CliOut r = kgmac("infer --backend model --model " + kgm + " --keys " + f.keys +
                          " --images " + f.img + " --labels " + f.lab + " --float-model " +
                          f.kgf + " --jobs " + jobs + " --batch 7 --json --force --logits " + lg +
                          " --preds " + pr);
      ASSERT_EQ(r.code, 0) << crypt << " jobs " << jobs << "\n" << r.all();
      EXPECT_EQ(logits_of(lg), ref_logits_) << crypt << " jobs " << jobs;
      EXPECT_EQ(kgtest::read_bytes(pr), ref_pred_) << crypt << " jobs " << jobs;
      EXPECT_TRUE(has(r.out, "\"key_ok\": true")) << r.out;
      EXPECT_TRUE(has(r.out, std::string("\"crypt\": \"") + crypt + "\"")) << r.out;
      EXPECT_EQ(json_num(r.out, "format_version"), 2.0) << r.out;
      EXPECT_TRUE(has(r.out, "\"auth\": true, ")) << r.out;
      EXPECT_TRUE(has(r.out, "\"legacy\": false")) << r.out;
      EXPECT_EQ(json_num(r.out, "images"), (double)kImages);
      EXPECT_EQ(json_num(r.out, "jobs"), std::atof(jobs));
      uint32_t correct = 0;
      const kgml_dataset &t = kgtest::dataset("t10k");
      for (uint32_t i = 0; i < kImages; i++) correct += ref_pred_[i] == t.labels[i];
      EXPECT_EQ(json_num(r.out, "correct"), (double)correct);
      std::vector<uint8_t> fp(kImages);
      ASSERT_EQ(kgml_predict(&fm_, t.pix, kImages, 1, fp.data(), nullptr), KGML_OK);
      uint32_t agree = 0;
      for (uint32_t i = 0; i < kImages; i++) agree += fp[i] == ref_pred_[i];
      uint32_t fcorrect = 0;
      for (uint32_t i = 0; i < kImages; i++) fcorrect += fp[i] == t.labels[i];
      EXPECT_NEAR(json_num(r.out, "float_agreement"), (double)agree / kImages, 1e-6) << r.out;
      EXPECT_NEAR(json_num(r.out, "float_accuracy"), (double)fcorrect / kImages, 1e-6) << r.out;
      EXPECT_GT(json_num(r.out, "cycles_per_inference"), 0.0) << r.out;
      EXPECT_GT(json_num(r.out, "utilisation"), 0.0) << r.out;
      EXPECT_LE(json_num(r.out, "utilisation"), 1.0) << r.out;
      EXPECT_GT(json_num(r.out, "sim_cycles"), 0.0) << r.out;
    }
  }
  // Text mode: one prediction per line; raw int8 input gives the same.
  const std::string kgm = f.p("ctr.kgm");
  const CliOut r = kgmac("infer --backend model --model " + kgm + " --keys " + f.keys +
                      " --images " + f.img + " --count 20");
  ASSERT_EQ(r.code, 0) << r.all();
  std::string expect;
  for (uint32_t i = 0; i < 20; i++) expect += std::to_string(ref_pred_[i]) + "\n";
  EXPECT_EQ(r.out, expect);
  const kgml_dataset &t = kgtest::dataset("t10k");
  const size_t in = kg_qmodel_input_size(&qm_);
  Bytes raw(20 * in);
  kg_qmodel_quantize_input(&qm_, t.pix, raw.size(), reinterpret_cast<int8_t *>(raw.data()));
  const std::string rawf = f.p("in.raw");
  kgtest::write_bytes(rawf, raw);
  const CliOut r2 = kgmac("infer --backend model --raw --model " + kgm + " --keys " + f.keys +
                       " --images " + rawf);
  ASSERT_EQ(r2.code, 0) << r2.all();
  EXPECT_EQ(r2.out, expect);
  // The unlocked .kgm needs no key and gives the same.
  const std::string plain = f.p("plain.kgm");
  ASSERT_EQ(kgmac("lock --crypt none --no-sign --model " + f.kgq + " --out " + plain + " --force")
                .code,
            0);
  const CliOut r3 = kgmac("infer --backend model --model " + plain + " --images " + f.img +
                       " --count 20");
  ASSERT_EQ(r3.code, 0) << r3.all();
  EXPECT_EQ(r3.out, expect);
}

TEST_F(CliKgm, RtlBackendEqualsModelBackend) {
  const Files f = setup("rtl");
  const std::string kgm = f.p("m.kgm");
  ASSERT_EQ(kgmac("lock --model " + f.kgq + " --keys " + f.keys + " --out " + kgm + " --force")
                .code,
            0);
  const std::string lr = f.p("rtl.bin"), lm = f.p("model.bin");
  const std::string args =
      " --model " + kgm + " --keys " + f.keys + " --images " + f.img + " --count 20 --json";
  // Two Verilated devices in two threads (--jobs 2) against one model device.
  const CliOut rr = kgmac("infer --backend rtl --jobs 2 --force --logits " + lr + args);
  ASSERT_EQ(rr.code, 0) << rr.all();
  const CliOut rm = kgmac("infer --backend model --force --logits " + lm + args);
  ASSERT_EQ(rm.code, 0) << rm.all();
  const std::vector<int8_t> a = logits_of(lr), b = logits_of(lm);
  ASSERT_EQ(a.size(), (size_t)20 * classes_);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, std::vector<int8_t>(ref_logits_.begin(), ref_logits_.begin() + a.size()));
  EXPECT_TRUE(has(rr.out, "\"backend\": \"rtl\"")) << rr.out;
  EXPECT_EQ(json_num(rr.out, "jobs"), 2.0) << rr.out;
  EXPECT_GT(json_num(rr.out, "cycles_per_inference"), 0.0) << rr.out;
  EXPECT_GT(json_num(rr.out, "sim_cycles_per_second"), 0.0) << rr.out;
}

TEST_F(CliKgm, WrongKeysFollowThePolicy) {
  const Files f = setup("wrong");
  const std::string kgm = f.p("m.kgm"), wa = f.p("waes.kgk"), ws = f.p("wsign.kgk");
  ASSERT_EQ(kgmac("lock --model " + f.kgq + " --keys " + f.keys + " --out " + kgm + " --force")
                .code,
            0);
  std::remove(wa.c_str());
  std::remove(ws.c_str());
  ASSERT_EQ(kgmac("keygen --out " + wa + " --wrong-aes-from " + f.keys).code, 0);
  ASSERT_EQ(kgmac("keygen --out " + ws + " --wrong-sign-from " + f.keys).code, 0);
  const std::string base = "infer --backend model --model " + kgm + " --images " + f.img;

  // Wrong AES key, refuse (the default): refused, status and exit 1.
  const std::string status = "(status " + std::to_string(KG_E_WRONG_KEY) + ")";
  for (const char *pol : {"", " --policy refuse"}) {
    CliOut r = kgmac(base + " --keys " + wa + pol);
    EXPECT_EQ(r.code, 1) << r.all();
    EXPECT_TRUE(has(r.err, "kgmac infer: refused: " + msg(KG_E_WRONG_KEY) + " " + status))
        << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    r = kgmac(base + " --keys " + wa + pol + " --json");
    EXPECT_EQ(r.code, 1) << r.all();
    EXPECT_TRUE(has(r.out, "\"refused\": true")) << r.out;
    EXPECT_EQ(json_num(r.out, "status"), (double)KG_E_WRONG_KEY) << r.out;
  }
  // Lockout refuses too.
  CliOut r = kgmac(base + " --keys " + wa + " --policy lockout --threshold 1");
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, "kgmac infer: refused: ")) << r.err;

  // Policy run: what a thief would get.
  const std::string lg = f.p("thief.bin");
  r = kgmac(base + " --keys " + wa + " --policy run --json --force --logits " + lg);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "\"key_ok\": false")) << r.out;
  EXPECT_TRUE(has(r.out, "\"refused\": false")) << r.out;
  const std::vector<int8_t> thief = logits_of(lg);
  ASSERT_EQ(thief.size(), ref_logits_.size());
  size_t same = 0;
  for (size_t i = 0; i < thief.size(); i++) same += thief[i] == ref_logits_[i];
  EXPECT_LT(same, thief.size() / 2) << "a wrong AES key left most outputs intact";

  // Right AES key, wrong sign key: the key check passes (it covers the AES
  // key), the outputs are wrong.
  r = kgmac(base + " --keys " + ws + " --json --force --logits " + lg);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "\"key_ok\": true")) << r.out;
  const std::vector<int8_t> wsign = logits_of(lg);
  ASSERT_EQ(wsign.size(), ref_logits_.size());
  EXPECT_NE(wsign, ref_logits_);

  // A locked model without --keys, and a key file of another geometry.
  r = kgmac(base);
  EXPECT_EQ(r.code, 2) << r.all();
  EXPECT_TRUE(has(r.err, "--keys")) << r.err;
  const std::string other = f.p("other.kgk");
  std::remove(other.c_str());
  ASSERT_EQ(kgmac("keygen --rows 2 --cols 2 --out " + other).code, 0);
  r = kgmac(base + " --keys " + other);
  EXPECT_EQ(r.code, 1) << r.all();
  EXPECT_TRUE(has(r.err, "2x2")) << r.err;
}

TEST_F(CliKgm, BenchReportsLayersAndTheEncryptedToPlainRatio) {
  const Files f = setup("bench");
  const std::string kgm = f.p("m.kgm"), plain = f.p("plain.kgm");
  ASSERT_EQ(kgmac("lock --model " + f.kgq + " --keys " + f.keys + " --out " + kgm + " --force")
                .code,
            0);
  ASSERT_EQ(kgmac("lock --crypt none --no-sign --model " + f.kgq + " --out " + plain + " --force")
                .code,
            0);
  CliOut r = kgmac("bench --backend model --batch 4 --model " + kgm + " --keys " + f.keys +
                " --compare " + plain + " --json");
  ASSERT_EQ(r.code, 0) << r.all();
  size_t layers = 0;
  for (size_t at = 0; (at = r.out.find("\"type\": ", at)) != std::string::npos; at++) layers++;
  EXPECT_EQ(layers, 3u) << r.out;
  EXPECT_TRUE(has(r.out, "\"dec_stall\": ")) << r.out;
  const size_t cmp = r.out.find("\"compare\": ");
  ASSERT_NE(cmp, std::string::npos) << r.out;
  const double ratio = json_num(r.out.substr(cmp), "cycles_ratio");
  EXPECT_GE(ratio, 1.0) << r.out;
  EXPECT_LT(ratio, 10.0) << r.out;
  EXPECT_TRUE(has(r.out, "\"batch\": 4")) << r.out;
  r = kgmac("bench --backend model --batch 4 --model " + kgm + " --keys " + f.keys);
  ASSERT_EQ(r.code, 0) << r.all();
  EXPECT_TRUE(has(r.out, "total")) << r.out;
  EXPECT_TRUE(has(r.out, "dec%")) << r.out;
  r = kgmac("bench --backend model --model " + kgm);
  EXPECT_EQ(r.code, 2) << r.all();
}
