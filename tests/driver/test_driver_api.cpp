// libkgmac API contract: argument checks, options, back-end names, errors
// of malformed files and of models the device cannot run, all reported with
// their specific code and a detail, never a crash.
#include <gtest/gtest.h>

#include "kg_fw.h"
#include "kgmac/raw.h"
#include "test_driver_util.h"
// After kg_aes.h (via the util): kg_regs.h defines KG_CRYPT_* as macros.
#include "kgmac/kg_regs.h"

namespace {

using kgd::Dev;
using kgd::KgmModel;
using kgd::Model;
using kgd::QModel;

Dev open_dev(const char* be, const kg_open_opts* o = nullptr) {
  kg_dev* d = nullptr;
  char err[KG_DETAIL_LEN] = {0};
  const int rc = kg_open(&d, be, o, err);
  EXPECT_EQ(KG_OK, rc) << err;
  return Dev(d);
}

TEST(DriverApi, OpenRejectsBadBackendsAndOptions) {
  kg_dev* d = reinterpret_cast<kg_dev*>(0x1);
  char err[KG_DETAIL_LEN] = {0};
  EXPECT_EQ(KG_E_INVAL, kg_open(&d, "fpga", nullptr, err));
  EXPECT_EQ(nullptr, d);
  EXPECT_NE(std::string::npos, std::string(err).find("fpga")) << err;
  d = reinterpret_cast<kg_dev*>(0x1);
  EXPECT_EQ(KG_E_INVAL, kg_open(&d, nullptr, nullptr, err));
  EXPECT_EQ(nullptr, d);
  EXPECT_EQ(KG_E_INVAL, kg_open(&d, "", nullptr, nullptr));
  EXPECT_EQ(KG_E_INVAL, kg_open(nullptr, "model", nullptr, err));
  EXPECT_EQ(KG_E_INVAL, kg_open(&d, "RTL", nullptr, err)) << "names are exact";
  struct Case {
    const char* be;
    kg_open_opts o;
  } cases[] = {
      {"model", {3, 3, 0, 0, 0}},               // not a power of two
      {"model", {8, 0, 0, 0, 0}},               // half a geometry
      {"model", {64, 64, 0, 0, 0}},             // more than 1024 PEs
      {"rtl", {KG_TEST_RTL_ROWS * 2, KG_TEST_RTL_COLS, 0, 0, 0}},  // rtl geometry is fixed
      {"model", {0, 0, 1000, 0, 0}},            // dram_size not a multiple of 16
      {"model", {0, 0, 1024, 0, 0}},            // too small
      {"model", {0, 0, (1ull << 32) + 16, 0, 0}},  // beyond 32-bit addresses
      {"model", {0, 0, 0, 0, 65537}},           // max_batch
  };
  for (const auto& c : cases) {
    err[0] = '\0';
    d = reinterpret_cast<kg_dev*>(0x1);
    EXPECT_EQ(KG_E_INVAL, kg_open(&d, c.be, &c.o, err))
        << c.be << " " << c.o.rows << "x" << c.o.cols << " dram " << c.o.dram_size;
    EXPECT_EQ(nullptr, d);
    EXPECT_NE('\0', err[0]);
  }
}

TEST(DriverApi, QueryReportsTheDevice) {
  Dev r = open_dev("rtl");
  ASSERT_TRUE(r);
  kg_dev_info i{};
  ASSERT_EQ(KG_OK, kg_dev_query(r.get(), &i));
  EXPECT_STREQ("rtl", i.backend);
  EXPECT_EQ(uint32_t(KG_TEST_RTL_ROWS), i.rows);
  EXPECT_EQ(uint32_t(KG_TEST_RTL_COLS), i.cols);
  EXPECT_EQ(0x2u, i.version >> 16);  // register map 2.x
  EXPECT_EQ(64ull << 20, i.dram_size);
  EXPECT_EQ(0u, i.legacy);  // POLICY.LEGACY resets to 0: authenticated models only
  // The model back-end takes any geometry it supports.
  kg_open_opts o{};
  o.rows = 4;
  o.cols = 16;
  o.dram_size = 1 << 20;
  Dev m = open_dev("model", &o);
  ASSERT_TRUE(m);
  ASSERT_EQ(KG_OK, kg_dev_query(m.get(), &i));
  EXPECT_STREQ("model", i.backend);
  EXPECT_EQ(4u, i.rows);
  EXPECT_EQ(16u, i.cols);
  EXPECT_EQ(1ull << 20, i.dram_size);
  EXPECT_EQ(KG_E_INVAL, kg_dev_query(nullptr, &i));
  EXPECT_EQ(KG_E_INVAL, kg_dev_query(m.get(), nullptr));
  EXPECT_STREQ("", kg_last_error(m.get()));
  EXPECT_NE(nullptr, kg_last_error(nullptr));
}

TEST(DriverApi, NullArgumentsAreRejected) {
  Dev d = open_dev("model");
  ASSERT_TRUE(d);
  kg_keys k{};
  EXPECT_EQ(KG_E_INVAL, kg_keys_provision(nullptr, &k, 0));
  EXPECT_EQ(KG_E_INVAL, kg_keys_provision(d.get(), nullptr, 0));
  EXPECT_EQ(KG_E_INVAL, kg_keys_zeroize(nullptr));
  kg_model* m = reinterpret_cast<kg_model*>(0x1);
  const uint8_t b[4] = {0};
  EXPECT_EQ(KG_E_INVAL, kg_model_load_buffer(nullptr, b, 4, &m));
  EXPECT_EQ(nullptr, m);
  EXPECT_EQ(KG_E_INVAL, kg_model_load_buffer(d.get(), nullptr, 4, &m));
  EXPECT_EQ(KG_E_INVAL, kg_model_load_buffer(d.get(), b, 4, nullptr));
  EXPECT_EQ(KG_E_INVAL, kg_model_load(d.get(), nullptr, &m));
  EXPECT_EQ(KG_E_INVAL, kg_model_load(nullptr, "x.kgm", &m));
  EXPECT_EQ(KG_E_INVAL, kg_model_load(d.get(), "x.kgm", nullptr));
  int8_t io[4] = {0};
  EXPECT_EQ(KG_E_INVAL, kg_infer(nullptr, io, 1, io));
  float f[4] = {0};
  EXPECT_EQ(KG_E_INVAL, kg_infer_float(nullptr, f, 1, io));
  kg_perf_info p{};
  EXPECT_EQ(KG_E_INVAL, kg_perf(nullptr, &p));
  kg_model_info mi{};
  EXPECT_EQ(KG_E_INVAL, kg_model_query(nullptr, &mi));
  EXPECT_EQ(0, kg_model_key_ok(nullptr));
  kg_perf_reset(nullptr);
  kg_model_free(nullptr);
  kg_close(nullptr);
  // With a model: NULL buffers.
  std::mt19937_64 rng(5);
  kg_dev_info di{};
  ASSERT_EQ(KG_OK, kg_dev_query(d.get(), &di));
  QModel q;
  kgd::random_qmodel(rng, 1, 1, 20, {{false, 5}}, &q.q);
  const auto file = kgd::plain_file(q.q, di.rows, di.cols);
  ASSERT_EQ(KG_OK, kg_model_load_buffer(d.get(), file.data(), file.size(), &m));
  Model mm(m);
  EXPECT_EQ(KG_E_INVAL, kg_infer(m, nullptr, 1, io));
  EXPECT_EQ(KG_E_INVAL, kg_infer(m, io, 1, nullptr));
  EXPECT_EQ(KG_E_INVAL, kg_infer_float(m, nullptr, 1, io));
  EXPECT_EQ(KG_E_INVAL, kg_perf(m, nullptr));
  EXPECT_EQ(KG_E_INVAL, kg_model_query(m, nullptr));
}

TEST(DriverApi, ProvisionChecksKeySizes) {
  Dev d = open_dev("model");
  ASSERT_TRUE(d);
  kg_dev_info di{};
  ASSERT_EQ(KG_OK, kg_dev_query(d.get(), &di));
  std::mt19937_64 rng(6);
  const kg_keys good = kgd::random_keys(rng, 16, di.rows, di.cols);
  auto bad = [&](auto mutate, const char* what) {
    kg_keys k = good;
    mutate(k);
    EXPECT_EQ(KG_E_INVAL, kg_keys_provision(d.get(), &k, 0)) << what;
    EXPECT_NE(std::string(), kg_last_error(d.get())) << what;
  };
  bad([](kg_keys& k) { k.aes_len = 20; }, "aes_len 20");
  bad([](kg_keys& k) { k.aes_len = 33; }, "aes_len 33");
  bad([](kg_keys& k) { k.sign_bits += 1; }, "sign_bits +1");
  bad([](kg_keys& k) { k.sign_bits = 1024 + 8; }, "sign_bits too long");
  bad([](kg_keys& k) { k.policy = 3; }, "policy 3");
  bad([](kg_keys& k) { k.threshold = 256; }, "threshold 256");
  EXPECT_EQ(KG_OK, kg_keys_provision(d.get(), &good, 0)) << kg_last_error(d.get());
  EXPECT_STREQ("", kg_last_error(d.get()));
  kg_keys none{};
  EXPECT_EQ(KG_OK, kg_keys_provision(d.get(), &none, 0)) << "no keys at all is allowed";
}

// Malformed files are refused with the reader's code; the device is not
// touched (a later good model loads and runs).
TEST(DriverApi, MalformedFilesGetTheirCodes) {
  Dev d = open_dev("model");
  ASSERT_TRUE(d);
  kg_dev_info di{};
  ASSERT_EQ(KG_OK, kg_dev_query(d.get(), &di));
  std::mt19937_64 rng(7);
  kg_keys k = kgd::random_keys(rng, 16, di.rows, di.cols);
  QModel q;
  kgd::random_qmodel(rng, 1, 1, 30, {{false, 12}, {false, 4}}, &q.q);
  KgmModel km;
  const uint8_t nonce[12] = {1, 2, 3};
  kgd::test_lock(q.q, di.rows, di.cols, KGM_CRYPT_NONE, false, k, nonce, &km.m);
  const auto file = kgd::serialize(km.m);
  auto load = [&](const std::vector<uint8_t>& f) {
    kg_model* m = reinterpret_cast<kg_model*>(0x1);
    const int rc = kg_model_load_buffer(d.get(), f.data(), f.size(), &m);
    if (rc == KG_OK) {
      kg_model_free(m);
    } else {
      EXPECT_EQ(nullptr, m);
    }
    return rc;
  };
  for (size_t n : {size_t(1), size_t(3), size_t(KGM_HEADER_SIZE), file.size() - 1})
    EXPECT_EQ(KG_E_TRUNCATED, load(std::vector<uint8_t>(file.begin(), file.begin() + n))) << n;
  auto f = file;
  f[0] = 'X';
  EXPECT_EQ(KG_E_MAGIC, load(f));
  f = file;
  f[f.size() - 20] ^= 1;  // a weight byte: only the CRC can tell
  EXPECT_EQ(KG_E_CRC, load(f));
  EXPECT_NE(std::string(), kg_last_error(d.get()));
  EXPECT_EQ(KG_OK, load(file)) << kg_last_error(d.get());
}

// What only the device can judge: an FC after a conv must read 16-byte
// pixels, K must fit the activation buffer, N the parameter RAM.
TEST(DriverApi, ModelsTheHardwareCannotRunAreRefused) {
  kg_open_opts o{};
  o.rows = 4;
  o.cols = 4;
  Dev d = open_dev("model", &o);
  ASSERT_TRUE(d);
  std::mt19937_64 rng(8);
  kg_keys k = kgd::random_keys(rng, 16, 4, 4);
  const uint8_t nonce[12] = {0};
  auto load = [&](kgm_model& m) {
    kg_model* mm = nullptr;
    const auto file = kgd::serialize(m);
    const int rc = kg_model_load_buffer(d.get(), file.data(), file.size(), &mm);
    kg_model_free(mm);
    return rc;
  };
  {
    // FC after a 5-channel conv with the dense K (no zero rows): the
    // hardware layout does not allow it.
    QModel q;
    kgd::random_qmodel(rng, 4, 4, 2, {{true, 5, 3, 1, 1}, {false, 3}}, &q.q);
    KgmModel km;
    kgd::test_lock(q.q, 4, 4, KGM_CRYPT_NONE, false, k, nonce, &km.m);
    ASSERT_EQ(16u * 16u, km.m.layers[1].K);  // the locker padded it
    EXPECT_EQ(KG_OK, load(km.m)) << kg_last_error(d.get());
    // Re-lay the FC with the dense K = 16 * 5: the reader (hence any
    // load) refuses it, naming the K the hardware layout needs.
    kgm_layer& L = km.m.layers[1];
    const kg_geom g{4, 4};
    L.K = L.in_c = 16 * 5;
    const size_t wb = kg_pack_weight_bytes(L.K, L.N, g);
    km.m.wimg_len = L.w_off + wb;
    L.w_len = (uint32_t)wb;
    char det[KG_DETAIL_LEN] = "";
    EXPECT_EQ(KG_E_LAYER, kgm_validate(&km.m, det));
    EXPECT_NE(std::string::npos, std::string(det).find("K must be 256")) << det;
  }
  {
    // K = 2049 * 4 needs 2049 K tiles; the device's buffer holds 2048.
    QModel q;
    kgd::random_qmodel(rng, 12, 1, 683, {{false, 1}}, &q.q);  // K = 8196
    KgmModel km;
    kgd::test_lock(q.q, 4, 4, KGM_CRYPT_NONE, false, k, nonce, &km.m);
    EXPECT_EQ(KG_E_TOO_BIG, load(km.m));
    EXPECT_NE(std::string::npos, std::string(kg_last_error(d.get())).find("K tiles"));
  }
  {
    // 1025 output channels: the parameter RAM holds 1024.
    QModel q;
    kgd::random_qmodel(rng, 1, 1, 4, {{false, 1025}}, &q.q);
    KgmModel km;
    kgd::test_lock(q.q, 4, 4, KGM_CRYPT_NONE, false, k, nonce, &km.m);
    EXPECT_EQ(KG_E_TOO_BIG, load(km.m));
  }
}

TEST(DriverApi, EveryDriverCodeHasAMessage) {
  for (int c : {KG_E_INVAL, KG_E_GEOMETRY, KG_E_DEVMEM, KG_E_NOKEY, KG_E_WRONG_KEY,
                KG_E_LOCKED_OUT, KG_E_VAULT_LOCKED, KG_E_DEVICE, KG_E_TIMEOUT, KG_E_BUS, KG_E_HW,
                KG_E_STATE}) {
    ASSERT_NE(nullptr, kg_strerror(c));
    EXPECT_STRNE(kg_strerror(KG_OK), kg_strerror(c)) << c;
  }
}

// A layer that exceeds its cycle budget is aborted and reported.
TEST(DriverApi, LayerTimeoutIsReported) {
  kg_open_opts o{};
  o.layer_timeout = 50;  // far too few cycles for any layer
  for (const char* be : {"model", "rtl"}) {
    Dev d = open_dev(be, &o);
    ASSERT_TRUE(d);
    kg_dev_info di{};
    ASSERT_EQ(KG_OK, kg_dev_query(d.get(), &di));
    std::mt19937_64 rng(9);
    QModel q;
    kgd::random_qmodel(rng, 1, 1, 64, {{false, 32}}, &q.q);
    const auto file = kgd::plain_file(q.q, di.rows, di.cols);
    kg_model* m = nullptr;
    ASSERT_EQ(KG_OK, kg_model_load_buffer(d.get(), file.data(), file.size(), &m));
    Model mm(m);
    std::vector<int8_t> in(64 * 4), out(32 * 4);
    EXPECT_EQ(KG_E_TIMEOUT, kg_infer(m, in.data(), 4, out.data())) << be;
    EXPECT_NE(std::string::npos, std::string(kg_last_error(d.get())).find("layer 0")) << be;
  }
}

}  // namespace

// Every firmware status has a driver code (libkgmac-internal mapping).
extern "C" int kg_map_fw_status(int fw_rc);

namespace {

TEST(DriverApi, EveryFirmwareStatusMapsToADriverCode) {
  EXPECT_EQ(KG_OK, kg_map_fw_status(KG_FW_OK));
  for (int s = -1; s > -KG_FW_STATUS_COUNT; s--) {
    const int c = kg_map_fw_status(s);
    EXPECT_LT(c, 0) << kg_fw_strstatus(s);
    EXPECT_STRNE(kg_strerror(KG_OK), kg_strerror(c)) << kg_fw_strstatus(s);
  }
  EXPECT_EQ(KG_E_WRONG_KEY, kg_map_fw_status(KG_FW_EKCV));
  EXPECT_EQ(KG_E_WRONG_KEY, kg_map_fw_status(KG_FW_EWRONGKEY));
  EXPECT_EQ(KG_E_LOCKED_OUT, kg_map_fw_status(KG_FW_ELOCKEDOUT));
  EXPECT_EQ(KG_E_NOKEY, kg_map_fw_status(KG_FW_ENOKEY));
  EXPECT_EQ(KG_E_VAULT_LOCKED, kg_map_fw_status(KG_FW_EVAULT));
  EXPECT_EQ(KG_E_TIMEOUT, kg_map_fw_status(KG_FW_ETIMEOUT));
  EXPECT_EQ(KG_E_BUS, kg_map_fw_status(KG_FW_EBUS));
  EXPECT_EQ(KG_E_AUTH, kg_map_fw_status(KG_FW_EAUTH));
  EXPECT_EQ(KG_E_UNAUTH, kg_map_fw_status(KG_FW_ENOTAUTH));
  for (int s : {KG_FW_EDESC_MAGIC, KG_FW_EDESC_OP, KG_FW_EDESC_ZERO, KG_FW_EDESC_ALIGN,
                KG_FW_EDESC_BIG, KG_FW_EDESC_CRYPT, KG_FW_EDESC_RSVD})
    EXPECT_EQ(KG_E_HW, kg_map_fw_status(s)) << kg_fw_strstatus(s);
  EXPECT_EQ(KG_E_DEVICE, kg_map_fw_status(KG_FW_EHW));
  EXPECT_EQ(KG_E_DEVICE, kg_map_fw_status(-100));
}

}  // namespace

// kgmac/raw.h: each documented refusal, a memory round trip, a register
// read, and a descriptor run whose refusal comes back in STATUS.ERR.
TEST(DriverApi, RawAccessChecksItsArguments) {
  for (const char* be : {"model", "rtl"}) {
    SCOPED_TRACE(be);
    Dev d = open_dev(be);
    ASSERT_TRUE(d);
    kg_dev* dev = d.get();
    kg_dev_info info;
    ASSERT_EQ(KG_OK, kg_dev_query(dev, &info));
    uint32_t v = 0;
    uint8_t buf[32] = {0};
    EXPECT_EQ(KG_E_INVAL, kg_raw_reg_read(dev, 2, &v)) << "misaligned offset";
    EXPECT_EQ(KG_E_INVAL, kg_raw_reg_read(dev, 0x1000, &v)) << "past the CSR window";
    EXPECT_EQ(KG_E_INVAL, kg_raw_reg_read(nullptr, 0, &v));
    EXPECT_EQ(KG_E_INVAL, kg_raw_mem_write(dev, 0, buf, 0)) << "empty request";
    EXPECT_EQ(KG_E_INVAL, kg_raw_mem_read(dev, 0, nullptr, 16));
    EXPECT_EQ(KG_E_DEVMEM, kg_raw_mem_read(dev, info.dram_size - 16, buf, 32));
    EXPECT_EQ(KG_E_INVAL, kg_raw_alloc(dev, 0, nullptr));
    ASSERT_EQ(KG_OK, kg_raw_reg_read(dev, KG_REG_ID, &v));
    EXPECT_EQ(0x4B474D43u, v);
    uint64_t at = 0;
    ASSERT_EQ(KG_OK, kg_raw_alloc(dev, 256, &at));
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = uint8_t(i * 7 + 1);
    ASSERT_EQ(KG_OK, kg_raw_mem_write(dev, at, buf, sizeof buf));
    uint8_t back[32] = {0};
    ASSERT_EQ(KG_OK, kg_raw_mem_read(dev, at, back, sizeof back));
    EXPECT_EQ(0, std::memcmp(buf, back, sizeof buf));
    uint32_t err = 0;
    EXPECT_EQ(KG_E_INVAL, kg_raw_run(dev, at + 8, &err)) << "misaligned descriptor";
    // 64 zero bytes: no descriptor magic, so the device refuses the layer.
    const uint8_t zero[64] = {0};
    ASSERT_EQ(KG_OK, kg_raw_mem_write(dev, at, zero, sizeof zero));
    ASSERT_EQ(KG_OK, kg_raw_run(dev, at, &err));
    EXPECT_EQ(uint32_t(KG_ERR_BAD_MAGIC), err);
    kg_raw_free(dev, at);
  }
}
