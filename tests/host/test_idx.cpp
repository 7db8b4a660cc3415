// IDX loader: the real Fashion-MNIST files and generated malformed files.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "kgml/idx.h"
#include "test_util.h"

using kgtest::tmp_path;
using kgtest::write_bytes;

namespace {

std::vector<uint8_t> idx_bytes(uint8_t type, const std::vector<uint32_t> &dims,
                               const std::vector<uint8_t> &data) {
  std::vector<uint8_t> b = {0, 0, type, (uint8_t)dims.size()};
  for (uint32_t d : dims) {
    b.push_back((uint8_t)(d >> 24));
    b.push_back((uint8_t)(d >> 16));
    b.push_back((uint8_t)(d >> 8));
    b.push_back((uint8_t)d);
  }
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_gz(const std::string &path, const std::vector<uint8_t> &b) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!b.empty()) {
    ASSERT_EQ(gzwrite(f, b.data(), (unsigned)b.size()), (int)b.size());
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

int read3(const std::string &path, uint32_t *dims) {
  uint8_t *data = nullptr;
  char detail[KGML_DETAIL_LEN];
  int rc = kgml_idx_read(path.c_str(), 3, dims, &data, detail);
  if (rc == KGML_OK) {
    EXPECT_NE(data, nullptr);
  } else {
    EXPECT_EQ(data, nullptr);
    EXPECT_GT(std::string(detail).size(), 0u);
  }
  free(data);
  return rc;
}

std::vector<uint8_t> small_images() {
  std::vector<uint8_t> px(3 * 4 * 5);
  for (size_t i = 0; i < px.size(); i++) px[i] = (uint8_t)(i * 7);
  return idx_bytes(0x08, {3, 4, 5}, px);
}

}  // namespace

TEST(Idx, RealFashionMnistTrainAndTest) {
  kgml_dataset tr, te;
  char detail[KGML_DETAIL_LEN] = "";
  ASSERT_EQ(kgml_dataset_load(KG_TEST_DATA_DIR, "train", &tr, detail), KGML_OK) << detail;
  ASSERT_EQ(kgml_dataset_load(KG_TEST_DATA_DIR, "t10k", &te, detail), KGML_OK) << detail;
  EXPECT_EQ(tr.n, 60000u);
  EXPECT_EQ(te.n, 10000u);
  EXPECT_EQ(tr.rows, 28u);
  EXPECT_EQ(tr.cols, 28u);
  EXPECT_EQ(te.rows, 28u);
  EXPECT_EQ(te.cols, 28u);
  // Fashion-MNIST is balanced: 6,000 and 1,000 images per class.
  int ctr[10] = {0}, cte[10] = {0};
  for (uint32_t i = 0; i < tr.n; i++) ctr[tr.labels[i]]++;
  for (uint32_t i = 0; i < te.n; i++) cte[te.labels[i]]++;
  for (int c = 0; c < 10; c++) {
    EXPECT_EQ(ctr[c], 6000) << c;
    EXPECT_EQ(cte[c], 1000) << c;
  }
  // Known facts about the files: first labels (ankle boot, t-shirt, ...)
  // and the first test label (ankle boot).
  EXPECT_EQ(tr.labels[0], 9);
  EXPECT_EQ(tr.labels[1], 0);
  EXPECT_EQ(te.labels[0], 9);
  // The images are not blank and use the full 0..255 range.
  uint8_t mx = 0, mn = 255;
  for (size_t i = 0; i < (size_t)tr.n * 784; i += 97) {
    if (tr.pix[i] > mx) mx = tr.pix[i];
    if (tr.pix[i] < mn) mn = tr.pix[i];
  }
  EXPECT_EQ(mn, 0);
  EXPECT_EQ(mx, 255);
  kgml_dataset_free(&tr);
  kgml_dataset_free(&te);
  EXPECT_EQ(tr.pix, nullptr);
}

TEST(Idx, RealHeadersReadDirectly) {
  uint32_t dims[3];
  uint8_t *data = nullptr;
  const std::string p = std::string(KG_TEST_DATA_DIR) + "/t10k-images-idx3-ubyte.gz";
  ASSERT_EQ(kgml_idx_read(p.c_str(), 3, dims, &data, nullptr), KGML_OK);
  EXPECT_EQ(dims[0], 10000u);
  EXPECT_EQ(dims[1], 28u);
  EXPECT_EQ(dims[2], 28u);
  free(data);
  // Asking for the wrong rank is a malformed-IDX error, not a crash.
  uint32_t d1[1];
  EXPECT_EQ(kgml_idx_read(p.c_str(), 1, d1, &data, nullptr), KGML_E_IDX);
}

TEST(Idx, PlainAndGzipSmallFile) {
  const auto b = small_images();
  const std::string plain = tmp_path("idx_ok.idx"), gz = tmp_path("idx_ok.idx.gz");
  write_bytes(plain, b);
  write_gz(gz, b);
  for (const auto &p : {plain, gz}) {
    uint32_t dims[3];
    uint8_t *data = nullptr;
    ASSERT_EQ(kgml_idx_read(p.c_str(), 3, dims, &data, nullptr), KGML_OK) << p;
    EXPECT_EQ(dims[0], 3u);
    EXPECT_EQ(dims[1], 4u);
    EXPECT_EQ(dims[2], 5u);
    for (size_t i = 0; i < 60; i++) EXPECT_EQ(data[i], (uint8_t)(i * 7));
    free(data);
  }
}

TEST(Idx, TruncatedAtEveryByte) {
  const auto b = small_images();
  const std::string p = tmp_path("idx_trunc.idx"), g = tmp_path("idx_trunc.idx.gz");
  uint32_t dims[3];
  for (size_t len = 0; len < b.size(); len++) {
    std::vector<uint8_t> t(b.begin(), b.begin() + (long)len);
    write_bytes(p, t);
    EXPECT_EQ(read3(p, dims), KGML_E_TRUNCATED) << "plain, length " << len;
    write_gz(g, t);
    EXPECT_EQ(read3(g, dims), KGML_E_TRUNCATED) << "gzip, length " << len;
  }
}

TEST(Idx, TruncatedGzipStream) {
  // A compressed stream cut short (not a short IDX inside a complete gzip).
  std::vector<uint8_t> px(2000 * 28 * 28);
  kgtest::Rng r(5);
  for (auto &v : px) v = (uint8_t)r.next();
  const std::string g = tmp_path("idx_cut.gz");
  write_gz(g, idx_bytes(0x08, {2000, 28, 28}, px));
  const auto full = kgtest::read_bytes(g);
  ASSERT_GT(full.size(), 1000u);
  uint32_t dims[3];
  for (size_t cut : {full.size() - 1, full.size() - 8, full.size() / 2, (size_t)30}) {
    write_bytes(g, std::vector<uint8_t>(full.begin(), full.begin() + (long)cut));
    EXPECT_EQ(read3(g, dims), KGML_E_TRUNCATED) << cut;
  }
}

TEST(Idx, CorruptGzipStream) {
  std::vector<uint8_t> px(500 * 28 * 28, 3);
  const std::string g = tmp_path("idx_bad.gz");
  write_gz(g, idx_bytes(0x08, {500, 28, 28}, px));
  auto full = kgtest::read_bytes(g);
  // Damage the CRC-32 in the gzip trailer: the data decompresses, then the
  // check fails.
  full[full.size() - 8] ^= 0xff;
  write_bytes(g, full);
  uint32_t dims[3];
  EXPECT_EQ(read3(g, dims), KGML_E_GZIP);
}

TEST(Idx, MalformedHeaders) {
  const std::string p = tmp_path("idx_bad.idx");
  uint32_t dims[3];
  std::vector<uint8_t> px(60, 1);
  auto b = idx_bytes(0x08, {3, 4, 5}, px);
  b[0] = 1;
  write_bytes(p, b);
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "magic";
  write_bytes(p, idx_bytes(0x0D, {3, 4, 5}, px));
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "float type";
  write_bytes(p, idx_bytes(0x08, {60}, px));
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "rank 1";
  write_bytes(p, idx_bytes(0x08, {0, 4, 5}, {}));
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "zero count";
  write_bytes(p, idx_bytes(0x08, {3, 0, 5}, {}));
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "zero rows";
  write_bytes(p, idx_bytes(0x08, {3, 5000, 5}, px));
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "absurd rows";
  write_bytes(p, idx_bytes(0x08, {0xffffffffu, 4, 5}, px));
  EXPECT_EQ(read3(p, dims), KGML_E_IDX) << "absurd count";
  px.push_back(9);
  write_bytes(p, idx_bytes(0x08, {3, 4, 5}, px));
  EXPECT_EQ(read3(p, dims), KGML_E_TRAILING) << "extra byte";
  EXPECT_EQ(read3(tmp_path("does-not-exist.idx"), dims), KGML_E_NOENT);
}

TEST(Idx, DatasetChecksLabels) {
  const std::string im = tmp_path("ds_images.idx"), lb = tmp_path("ds_labels.idx");
  std::vector<uint8_t> px(3 * 2 * 2, 0);
  write_bytes(im, idx_bytes(0x08, {3, 2, 2}, px));
  kgml_dataset ds;
  char detail[KGML_DETAIL_LEN];
  write_bytes(lb, idx_bytes(0x08, {3}, {1, 2, 9}));
  ASSERT_EQ(kgml_dataset_load_files(im.c_str(), lb.c_str(), &ds, detail), KGML_OK);
  EXPECT_EQ(ds.n, 3u);
  EXPECT_EQ(ds.labels[2], 9);
  kgml_dataset_free(&ds);
  write_bytes(lb, idx_bytes(0x08, {3}, {1, 10, 9}));
  EXPECT_EQ(kgml_dataset_load_files(im.c_str(), lb.c_str(), &ds, detail), KGML_E_IDX);
  write_bytes(lb, idx_bytes(0x08, {2}, {1, 2}));
  EXPECT_EQ(kgml_dataset_load_files(im.c_str(), lb.c_str(), &ds, detail), KGML_E_MISMATCH);
  EXPECT_EQ(kgml_dataset_load("/nonexistent-dir", "train", &ds, detail), KGML_E_NOENT);
  // A directory with the ungzipped names works too (the .gz name is tried first).
  const std::string dir = KG_TEST_TMP_DIR;
  write_bytes(dir + "/mini-images-idx3-ubyte", idx_bytes(0x08, {3, 2, 2}, px));
  write_bytes(dir + "/mini-labels-idx1-ubyte", idx_bytes(0x08, {3}, {4, 5, 6}));
  ASSERT_EQ(kgml_dataset_load(dir.c_str(), "mini", &ds, detail), KGML_OK) << detail;
  EXPECT_EQ(ds.labels[1], 5);
  kgml_dataset_free(&ds);
}

TEST(Idx, ReadFirstItemsOnlyAndRefuseNonRegularFiles) {
  const auto b = small_images();  // 3 images of 4x5
  const std::string plain = tmp_path("idx_first.idx"), gz = tmp_path("idx_first.idx.gz");
  write_bytes(plain, b);
  write_gz(gz, b);
  for (const auto &p : {plain, gz}) {
    for (uint32_t want : {1u, 2u, 3u, 9u}) {
      uint32_t dims[3];
      uint8_t *data = nullptr;
      ASSERT_EQ(kgml_idx_read_first(p.c_str(), 3, want, dims, &data, nullptr), KGML_OK) << p;
      EXPECT_EQ(dims[0], 3u);  // the file's count, whatever was read
      const uint32_t got = want < 3 ? want : 3;
      for (size_t i = 0; i < (size_t)got * 20; i++) EXPECT_EQ(data[i], (uint8_t)(i * 7));
      free(data);
    }
  }
  // A header claiming far more than the file holds: refused from the file
  // size (plain) or the stream's end (gzip), before the claim is allocated.
  auto big = idx_bytes(0x08, {1000000, 28, 28}, std::vector<uint8_t>(784, 1));
  write_bytes(plain, big);
  write_gz(gz, big);
  uint32_t dims[3];
  EXPECT_EQ(read3(plain, dims), KGML_E_TRUNCATED);
  EXPECT_EQ(read3(gz, dims), KGML_E_TRUNCATED);
  // A directory and a character device are not IDX files.
  EXPECT_EQ(read3(KG_TEST_TMP_DIR, dims), KGML_E_NOTREG);
  EXPECT_EQ(read3("/dev/zero", dims), KGML_E_NOTREG);
}
