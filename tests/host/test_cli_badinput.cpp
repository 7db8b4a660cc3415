// The kgmac CLI under bad files and command lines, run as the real binary:
// outputs that are device nodes, FIFOs, sockets, directories, existing
// files or in missing folders; inputs that are FIFOs, pipes, /dev/zero,
// directories or missing; IDX files that claim more than they hold;
// labels outside the model's classes; repeated options; a dense-K FC after
// a convolution. Every command runs under `timeout`, so a hang fails the
// test (exit 124) instead of blocking it.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "kgmac/kgm.h"
#include "kgmac/status.h"
#include "kgml/fmodel.h"
#include "kgml/kgq.h"
#include "kgml/quant.h"
}
#include "test_util.h"

namespace {

using Bytes = std::vector<uint8_t>;

using Out = kgtest::CliResult;

// Every command with a 20 s timeout: none of these may block.
Out kgmac(const std::string &args, const std::string &input = "") {
  return kgtest::run_cli(args, input, 20);
}

bool has(const std::string &s, const std::string &w) { return s.find(w) != std::string::npos; }

void put_be32(Bytes &b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back((uint8_t)(v >> s));
}

Bytes idx_header(std::initializer_list<uint32_t> dims) {
  Bytes b = {0, 0, 8, (uint8_t)dims.size()};
  for (uint32_t d : dims) put_be32(b, d);
  return b;
}

// The special files one test uses, in its own folder.
struct Nodes {
  std::string dir, fifo, sock, sub, dev;
  bool have_dev = false;
  explicit Nodes(const std::string &name) {
    dir = kgtest::tmp_path("bad_" + name + "/");
    std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str());
    fifo = dir + "fifo";
    sock = dir + "sock";
    sub = dir + "sub";
    dev = dir + "null-node";
    EXPECT_EQ(mkfifo(fifo.c_str(), 0644), 0) << strerror(errno);
    EXPECT_EQ(mkdir(sub.c_str(), 0755), 0) << strerror(errno);
    const int s = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock.c_str());
    EXPECT_EQ(bind(s, (sockaddr *)&a, sizeof a), 0) << sock << ": " << strerror(errno);
    close(s);
    // A character device like /dev/null (1, 3); needs root.
    have_dev = mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  }
  std::string p(const std::string &f) const { return dir + f; }
  // The non-regular targets every user can make, and what the CLI must
  // call them (the device node, which needs root, has its own test).
  std::vector<std::pair<std::string, std::string>> specials() const {
    return {{fifo, "is a pipe (FIFO)"}, {sock, "is a socket"}, {sub, "is a directory"}};
  }
};

mode_t type_of(const std::string &p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 ? (st.st_mode & S_IFMT) : 0;
}

class CliKgmBadInput : public ::testing::Test {
 protected:
  // An untrained conv 3x3/2 (4 channels) + FC model: its FC reads 16-byte
  // pixels, so a dense K differs from the hardware K. Quantized on 200
  // test images; locked unsigned and unencrypted (no key) and with keys.
  static void SetUpTestSuite() {
    const kgml_layer_spec s[2] = {{KGML_LAYER_CONV, 4, 3, 2, 1, 1},
                                  {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
    char d[KGML_DETAIL_LEN] = "";
    kgml_model fm;
    ASSERT_EQ(kgml_model_build(&fm, "tiny", 28, 28, 1, s, 2, 7, d), KGML_OK) << d;
    kg_qmodel q;
    ASSERT_EQ(kgml_quantize(&fm, &kgtest::dataset("t10k"), 200, &q, d), KGML_OK) << d;
    dir_ = kgtest::tmp_path("bad_common_");
    kgq_ = dir_ + "m.kgq";
    kgm_ = dir_ + "m.kgm";
    keys_ = dir_ + "k.kgk";
    img_ = dir_ + "img.idx";
    lab_ = dir_ + "lab.idx";
    ASSERT_EQ(kg_qmodel_save(&q, kgq_.c_str(), d), KGML_OK) << d;
    kg_qmodel_free(&q);
    kgml_model_free(&fm);
    const kgml_dataset &t = kgtest::dataset("t10k");
    Bytes img = idx_header({kN, 28, 28});
    img.insert(img.end(), t.pix, t.pix + (size_t)kN * 784);
    kgtest::write_bytes(img_, img);
    Bytes lab = idx_header({kN});
    lab.insert(lab.end(), t.labels, t.labels + kN);
    kgtest::write_bytes(lab_, lab);
    Out r = kgmac("lock --crypt none --no-sign --model " + kgq_ + " --out " + kgm_ + " --force");
    ASSERT_EQ(r.code, 0) << r.err;
    r = kgmac("keygen --seed 5 --force --out " + keys_);
    ASSERT_EQ(r.code, 0) << r.err;
  }

  static std::string infer(const std::string &more) {
    return "infer --backend model --model " + kgm_ + " " + more;
  }

  // Every writer, forced or not, refuses `target` (a non-regular file the
  // CLI must call `what`) with one clear line and leaves it as it was.
  static void expect_outputs_refused(const std::string &target, const std::string &what) {
    const mode_t before = type_of(target);
    for (const char *force : {"", " --force"}) {
      const std::vector<std::string> cmds = {
          "keygen --out " + target + force,
          "keygen --wrong-aes-from " + keys_ + " --out " + target + force,
          "lock --crypt none --no-sign --model " + kgq_ + " --out " + target + force,
          infer("--images " + img_ + " --preds " + target + force),
          infer("--images " + img_ + " --logits " + target + force),
          "quantize --in x.kgf --out " + target,
      };
      for (const std::string &c : cmds) {
        const Out r = kgmac(c);
        EXPECT_EQ(r.code, 1) << c << "\n" << r.err;
        EXPECT_TRUE(has(r.err, "cannot write " + target + ": " + target + " " + what))
            << c << "\n" << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(type_of(target), before) << c;
      }
    }
  }

  static constexpr uint32_t kN = 20;
  static std::string dir_, kgq_, kgm_, keys_, img_, lab_;
};

std::string CliKgmBadInput::dir_, CliKgmBadInput::kgq_, CliKgmBadInput::kgm_,
    CliKgmBadInput::keys_, CliKgmBadInput::img_, CliKgmBadInput::lab_;

}  // namespace

// FIFO, socket, directory as an output: refused with a clear line, forced
// or not, and left as they were.
TEST_F(CliKgmBadInput, OutputsNeverReplaceNonRegularFiles) {
  const Nodes n("outspecial");
  for (const auto &[target, what] : n.specials()) expect_outputs_refused(target, what);
}

// A character device (like /dev/null) as an output, and as an input: never
// replaced, never read. A symbolic link to it is replaced with --force, the
// device behind it never written. Making the node needs root.
TEST_F(CliKgmBadInput, DeviceNodesAreNeverReplacedNorRead) {
  const Nodes n("devnode");
  if (!n.have_dev) GTEST_SKIP() << "mknod needs root: no device node to test";
  expect_outputs_refused(n.dev, "is a character device");
  const Out in = kgmac("inspect " + n.dev);
  EXPECT_EQ(in.code, 1) << in.err;
  EXPECT_TRUE(has(in.err, n.dev + " is a character device")) << in.err;
  const std::string link = n.p("link");
  ASSERT_EQ(symlink(n.dev.c_str(), link.c_str()), 0);
  Out r = kgmac("keygen --out " + link);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "already exists; use --force")) << r.err;
  r = kgmac("keygen --force --out " + link);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(type_of(link), (mode_t)S_IFREG);
  EXPECT_EQ(type_of(n.dev), (mode_t)S_IFCHR);
}

// infer --preds / --logits keep an existing file unless --force, like
// keygen and lock.
TEST_F(CliKgmBadInput, ExistingOutputsNeedForce) {
  const Nodes n("outexisting");
  const std::string preds = n.p("preds.bin"), logits = n.p("logits.bin");
  const Bytes precious = {'K', 'G', 'M', 'F', 1, 2, 3};
  for (const std::string &o : {"--preds " + preds, "--logits " + logits}) {
    const std::string path = o.substr(o.find(' ') + 1);
    kgtest::write_bytes(path, precious);
    Out r = kgmac(infer("--images " + img_ + " " + o));
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_TRUE(has(r.err, "kgmac infer: " + path + " already exists; use --force to overwrite it"))
        << r.err;
    EXPECT_EQ(kgtest::read_bytes(path), precious);
    r = kgmac(infer("--images " + img_ + " " + o + " --force"));
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(kgtest::read_bytes(path), precious);
  }
  EXPECT_EQ(kgtest::read_bytes(preds).size(), kN);
  EXPECT_EQ(kgtest::read_bytes(logits).size(), kN * 10u);
  // The same for lock; --preds and --logits may not name one file.
  const std::string kgm = n.p("m.kgm");
  kgtest::write_bytes(kgm, precious);
  Out r = kgmac("lock --crypt none --no-sign --model " + kgq_ + " --out " + kgm);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "already exists; use --force")) << r.err;
  EXPECT_EQ(kgtest::read_bytes(kgm), precious);
  r = kgmac(infer("--images " + img_ + " --preds " + preds + " --logits " + preds + " --force"));
  EXPECT_EQ(r.code, 2) << r.err;
}

// An output in a folder that does not exist names the folder.
TEST_F(CliKgmBadInput, MissingFolderIsNamed) {
  const Nodes n("outfolder");
  const std::string folder = n.p("no/such"), out = folder + "/x";
  for (const std::string &c :
       {"keygen --out " + out, "keygen --out " + out + " --force",
        "lock --crypt none --no-sign --model " + kgq_ + " --out " + out,
        infer("--images " + img_ + " --preds " + out), "quantize --in x.kgf --out " + out,
        "train --model mlp --out " + out + " --force"}) {
    const Out r = kgmac(c);
    EXPECT_EQ(r.code, 1) << c << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "cannot write " + out + ": folder " + folder + " does not exist"))
        << c << "\n" << r.err;
  }
}

// A FIFO as any input: refused at once (no writer ever comes).
TEST_F(CliKgmBadInput, FifoInputsAreRefusedWithoutBlocking) {
  const Nodes n("infifo");
  const std::string f = n.fifo;
  for (const std::string &c :
       {"inspect " + f, "infer --backend model --model " + f + " --images " + img_,
        infer("--keys " + f + " --images " + img_), infer("--images " + f),
        infer("--images " + img_ + " --labels " + f),
        "lock --crypt none --no-sign --model " + f + " --out " + n.p("o.kgm"),
        "lock --keys " + f + " --model " + kgq_ + " --out " + n.p("o.kgm"),
        "keygen --wrong-sign-from " + f + " --out " + n.p("o.kgk"),
        "quantize --in " + f + " --out " + n.p("o.kgq")}) {
    const Out r = kgmac(c);
    EXPECT_EQ(r.code, 1) << c << "\n" << r.err;
    EXPECT_TRUE(has(r.err, f + " is a pipe (FIFO)")) << c << "\n" << r.err;
  }
  // The sockets and directories the same way.
  for (const auto &[p, what] : n.specials()) {
    const Out r = kgmac("inspect " + p);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_TRUE(has(r.err, p + ": " + kg_strerror(KG_E_NOTREG))) << r.err;
    EXPECT_TRUE(has(r.err, p + " " + what)) << r.err;
  }
}

// A directory is a directory and a missing file is missing (not "size
// exceeds a limit" nor "input/output error").
TEST_F(CliKgmBadInput, DirectoryAndMissingFilesAreNamed) {
  const Nodes n("inmissing");
  Out r = kgmac("inspect " + n.sub);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.err, n.sub + " is a directory")) << r.err;
  const std::string none = n.p("none.kgm");
  for (const std::string &c : {"inspect " + none,
                               "infer --backend model --model " + none + " --images " + img_,
                               infer("--images " + none), infer("--images " + img_ + " --labels " + none),
                               infer("--keys " + none + " --images " + img_)}) {
    r = kgmac(c);
    EXPECT_EQ(r.code, 1) << c;
    EXPECT_TRUE(has(r.err, none + " does not exist")) << c << "\n" << r.err;
    EXPECT_FALSE(has(r.err, kg_strerror(KG_E_IO))) << r.err;
  }
  r = kgmac("inspect " + n.p("no/such/m.kgm"));
  EXPECT_TRUE(has(r.err, "folder " + n.p("no/such") + " does not exist")) << r.err;
}

// /dev/zero and a pipe on stdin: refused before any read, in well under the
// timeout, with no memory growth.
TEST_F(CliKgmBadInput, DevZeroAndPipesAreRefusedBeforeReading) {
  for (const std::string &c :
       {infer("--images /dev/zero"), infer("--raw --images /dev/zero"),
        infer("--images " + img_ + " --labels /dev/zero"), std::string("inspect /dev/zero")}) {
    const Out r = kgmac(c);
    EXPECT_EQ(r.code, 1) << c << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "/dev/zero is a character device")) << c << "\n" << r.err;
  }
  Out r = kgmac(infer("--images /dev/stdin"), "cat " + img_ + " |");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "/dev/stdin is a pipe (FIFO)")) << r.err;
  r = kgmac("inspect /dev/stdin", "cat " + kgm_ + " |");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "is a pipe (FIFO)")) << r.err;
}

// IDX headers that claim more than the file holds are refused (plain and
// gzipped) before the claimed size is allocated; --count bounds the read.
TEST_F(CliKgmBadInput, IdxClaimsAreCheckedAndReadsBounded) {
  const Nodes n("idxclaims");
  const kgml_dataset &t = kgtest::dataset("t10k");
  Bytes img = idx_header({1000000, 28, 28});  // 784 MB claimed, 10 images held
  img.insert(img.end(), t.pix, t.pix + 10 * 784);
  const std::string big = n.p("big.idx");
  kgtest::write_bytes(big, img);
  Out r = kgmac(infer("--images " + big));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "7840 data bytes, the header declares 784000000")) << r.err;
  std::system(("gzip -c '" + big + "' > '" + big + ".gz'").c_str());
  r = kgmac(infer("--images " + big + ".gz"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "the header declares 784000000")) << r.err;
  // Labels claiming 4 billion items (the 4 GiB header of /dev/zero-like
  // input) are refused by the header check alone.
  Bytes lab = idx_header({0xFFFFFFF0u});
  lab.resize(lab.size() + 100, 1);
  kgtest::write_bytes(n.p("lab.idx"), lab);
  r = kgmac(infer("--images " + img_ + " --labels " + n.p("lab.idx")));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "IDX dimension 0 is 4294967280")) << r.err;
  // With --count, only that many images are read; more than the file
  // holds is refused.
  r = kgmac(infer("--images " + img_ + " --labels " + lab_ + " --count 5 --json"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"images\": 5,")) << r.out;
  r = kgmac(infer("--images " + img_ + " --count 21"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "--count 21 but " + img_ + " holds 20 images")) << r.err;
  // Raw int8 input: a multiple of the input size, bounded by --count.
  const std::string raw = n.p("raw.bin");
  kgtest::write_bytes(raw, Bytes(3 * 784 + 1, 0));
  r = kgmac(infer("--raw --images " + raw));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "not a positive multiple of the input size 784")) << r.err;
  kgtest::write_bytes(raw, Bytes(3 * 784, 0));
  r = kgmac(infer("--raw --images " + raw + " --count 2 --json"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"images\": 2,")) << r.out;
}

// A label the model cannot output (200 for ten classes) is refused.
TEST_F(CliKgmBadInput, LabelsOutsideTheClassesAreRefused) {
  const Nodes n("labels");
  Bytes lab = kgtest::read_bytes(lab_);
  lab[8 + 3] = 200;
  kgtest::write_bytes(n.p("lab.idx"), lab);
  Out r = kgmac(infer("--images " + img_ + " --labels " + n.p("lab.idx")));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "label 200 of image 3 is not a class of the model (0..9)")) << r.err;
  lab[8 + 3] = 10;
  kgtest::write_bytes(n.p("lab.idx"), lab);
  r = kgmac(infer("--images " + img_ + " --labels " + n.p("lab.idx")));
  EXPECT_EQ(r.code, 1) << r.err;
  // Beyond --count it is not read at all.
  r = kgmac(infer("--images " + img_ + " --labels " + n.p("lab.idx") + " --count 3"));
  EXPECT_EQ(r.code, 0) << r.err;
}

// Usage errors exit 2: a non-power-of-two geometry and any option given
// twice (the rule the help states).
TEST_F(CliKgmBadInput, UsageErrorsExit2) {
  const Nodes n("usage");
  const std::string k = n.p("k.kgk");
  for (const std::string &c :
       {"keygen --rows 3 --out " + k, "keygen --cols 6 --out " + k,
        "keygen --out " + k + " --out " + k, "keygen --force --force --out " + k,
        "keygen --seed x --out " + k, infer("--images " + img_ + " --count 2 --count=3"),
        "inspect --json --json " + kgm_, std::string("train --model mlp --model cnn --out x.kgf")}) {
    const Out r = kgmac(c);
    EXPECT_EQ(r.code, 2) << c << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c << "\n" << r.err;
  }
  EXPECT_EQ(type_of(k), (mode_t)0) << "a usage error wrote a file";
  const Out r = kgmac("keygen --out " + k + " --out " + k);
  EXPECT_TRUE(has(r.err, "option --out is given twice")) << r.err;
  EXPECT_TRUE(has(kgmac("--help").out, "given twice")) << "the rule is documented";
}

// keygen --seed: the same seed gives the same file, another seed another.
TEST_F(CliKgmBadInput, SeededKeysAreReproducible) {
  const Nodes n("seed");
  ASSERT_EQ(kgmac("keygen --seed 11 --out " + n.p("a.kgk")).code, 0);
  ASSERT_EQ(kgmac("keygen --seed 11 --out " + n.p("b.kgk")).code, 0);
  ASSERT_EQ(kgmac("keygen --seed 12 --out " + n.p("c.kgk")).code, 0);
  EXPECT_EQ(kgtest::read_bytes(n.p("a.kgk")), kgtest::read_bytes(n.p("b.kgk")));
  EXPECT_NE(kgtest::read_bytes(n.p("a.kgk")), kgtest::read_bytes(n.p("c.kgk")));
  ASSERT_EQ(kgmac("keygen --seed 3 --wrong-aes-from " + n.p("a.kgk") + " --out " + n.p("w1.kgk")).code, 0);
  ASSERT_EQ(kgmac("keygen --seed 3 --wrong-aes-from " + n.p("a.kgk") + " --out " + n.p("w2.kgk")).code, 0);
  EXPECT_EQ(kgtest::read_bytes(n.p("w1.kgk")), kgtest::read_bytes(n.p("w2.kgk")));
  EXPECT_NE(kgtest::read_bytes(n.p("w1.kgk")), kgtest::read_bytes(n.p("a.kgk")));
}

// An FC after a convolution with the dense K (no 16-byte pixels): inspect
// and infer refuse it alike, with the reader's message.
TEST_F(CliKgmBadInput, DenseKAfterConvIsRefusedByInspectAndInfer) {
  const Nodes n("densek");
  Bytes b = kgtest::read_bytes(kgm_);
  ASSERT_GT(b.size(), 128u + 128u);
  auto rd32 = [&](size_t o) {
    return (uint32_t)b[o] | (uint32_t)b[o + 1] << 8 | (uint32_t)b[o + 2] << 16 |
           (uint32_t)b[o + 3] << 24;
  };
  auto wr32 = [&](size_t o, uint32_t v) {
    for (int i = 0; i < 4; i++) b[o + i] = (uint8_t)(v >> (8 * i));
  };
  const size_t fc = 128 + 64;          // the second layer entry
  ASSERT_EQ(rd32(fc + 32), 14u * 14u * 16u);  // K as locked: 16-byte pixels
  wr32(fc + 16, 14 * 14 * 4);                 // in_c = K = the dense flatten
  wr32(fc + 32, 14 * 14 * 4);
  wr32(b.size() - 4, kgm_crc32c(b.data(), b.size() - 4));
  const std::string bad = n.p("dense.kgm");
  kgtest::write_bytes(bad, b);
  for (const std::string &c : {"inspect " + bad,
                               "infer --backend model --model " + bad + " --images " + img_}) {
    const Out r = kgmac(c);
    EXPECT_EQ(r.code, 1) << c << "\n" << r.err;
    EXPECT_TRUE(has(r.err, kg_strerror(KG_E_LAYER))) << r.err;
    EXPECT_TRUE(has(r.err, "K must be 3136")) << c << "\n" << r.err;
  }
}
