// The kgmac executable: help, exit codes, messages, the training cache and
// quantize's report.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

extern "C" {
#include "kgml/fmodel.h"
#include "kgml/kgq.h"
}
#include "test_util.h"

namespace {

struct CliRun {
  int code;
  std::string out;  // stdout and stderr together
};

CliRun kgmac(const std::string &args) {
  const std::string cmd = std::string(KG_TEST_KGMAC) + " " + args + " 2>&1";
  CliRun r{-1, ""};
  r.code = kgtest::run_capture(cmd, &r.out);
  return r;
}

bool has(const CliRun &r, const std::string &s) { return r.out.find(s) != std::string::npos; }

}  // namespace

TEST(Cli, HelpAndUsageErrors) {
  CliRun r = kgmac("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(has(r, "train")) << r.out;
  EXPECT_TRUE(has(r, "quantize")) << r.out;
  r = kgmac("");
  EXPECT_EQ(r.code, 2);
  r = kgmac("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r, "unknown command 'frobnicate'")) << r.out;
  for (const char *c : {"train", "quantize"}) {
    r = kgmac(std::string(c) + " --help");
    EXPECT_EQ(r.code, 0) << c;
    EXPECT_TRUE(has(r, std::string("usage: kgmac ") + c)) << r.out;
  }
  r = kgmac("train --out x.kgf");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r, "--model")) << r.out;
  r = kgmac("train --model vgg --out x.kgf");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r, "'vgg'")) << r.out;
  r = kgmac("train --model mlp");
  EXPECT_EQ(r.code, 2);
  r = kgmac("train --model mlp --out x.kgf --epochs 0");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r, "--epochs")) << r.out;
  r = kgmac("train --model mlp --out x.kgf --epochs 3x");
  EXPECT_EQ(r.code, 2);
  r = kgmac("train --model mlp --out x.kgf --threads 3");
  EXPECT_EQ(r.code, 2);
  r = kgmac("train --model mlp --out x.kgf --bogus");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r, "unknown option '--bogus'")) << r.out;
  r = kgmac("train --model mlp --out");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r, "needs a value")) << r.out;
  r = kgmac("quantize --in a.kgf");
  EXPECT_EQ(r.code, 2);
  r = kgmac("quantize --in a.kgf --out b.kgq --calib 0");
  EXPECT_EQ(r.code, 2);
}

TEST(Cli, BadInputFilesFailWithMessages) {
  CliRun r = kgmac("quantize --in " + kgtest::tmp_path("nope.kgf") + " --out " +
                kgtest::tmp_path("nope.kgq"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "cannot load float model")) << r.out;
  const std::string junk = kgtest::tmp_path("junk.kgf");
  kgtest::write_bytes(junk, std::vector<uint8_t>(100, 0x41));
  r = kgmac("quantize --in " + junk + " --out " + kgtest::tmp_path("junk.kgq"));
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "bad magic")) << r.out;
  // An existing but corrupt output is not silently used as a cache.
  r = kgmac("train --model mlp --out " + junk);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "--force")) << r.out;
  r = kgmac("train --model mlp --out /nonexistent-dir/m.kgf");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "cannot write /nonexistent-dir/m.kgf: folder /nonexistent-dir does not exist"))
      << r.out;
  r = kgmac("train --model mlp --out " + kgtest::tmp_path("x.kgf") + " --data /nonexistent");
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "cannot load the training set")) << r.out;
}

TEST(Cli, TrainCacheAndQuantizeReport) {
  // An (untrained) mlp in the output path is a cache hit: no training.
  kgml_model m;
  ASSERT_EQ(kgml_model_create(&m, "mlp", 3, nullptr), KGML_OK);
  const std::string f = kgtest::tmp_path("cli_mlp.kgf"), q = kgtest::tmp_path("cli_mlp.kgq");
  ASSERT_EQ(kgml_model_save(&m, f.c_str(), nullptr), KGML_OK);
  kgml_model_free(&m);
  CliRun r = kgmac("train --model mlp --out " + f);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r, "training skipped")) << r.out;
  EXPECT_FALSE(has(r, "epoch")) << r.out;
  r = kgmac("train --model cnn --out " + f);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r, "holds a 'mlp' model")) << r.out;
  std::remove(q.c_str());
  r = kgmac("quantize --in " + f + " --out " + q + " --calib 200");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(has(r, "float accuracy")) << r.out;
  EXPECT_TRUE(has(r, "int8 accuracy")) << r.out;
  EXPECT_TRUE(has(r, "difference")) << r.out;
  kg_qmodel qm;
  char d[KGML_DETAIL_LEN] = "";
  ASSERT_EQ(kg_qmodel_load(&qm, q.c_str(), d), KGML_OK) << d;
  EXPECT_EQ(qm.n_layers, 3u);
  kg_qmodel_free(&qm);
}
