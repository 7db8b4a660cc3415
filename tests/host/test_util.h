// Helpers shared by the host ML tests.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "kgml/idx.h"

namespace kgtest {

// Run a shell command, append its stdout to *out; returns its exit status
// (-1 if it could not start or did not exit normally).
inline int run_capture(const std::string &cmd, std::string *out) {
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

inline std::string tmp_path(const std::string &name) {
  return std::string(KG_TEST_TMP_DIR) + "/" + name;
}

inline std::vector<uint8_t> read_bytes(const std::string &path);

// The kgmac binary's result: exit status, stdout, stderr.
struct CliResult {
  int code;
  std::string out, err;
  std::string all() const { return out + err; }
};

// Run `kgmac ARGS` under `timeout` (a hang ends with exit 124 after
// `seconds`), stdout and stderr captured apart. stdin is /dev/null unless
// `input` is a shell prefix such as "cat FILE |".
inline CliResult run_cli(const std::string &args, const std::string &input = "",
                         int seconds = 60) {
  static int seq = 0;
  const std::string errf =
      tmp_path("cli_stderr_" + std::to_string(getpid()) + "_" + std::to_string(seq++) + ".txt");
  const std::string run = "timeout -k 2 " + std::to_string(seconds) + " " +
                          std::string(KG_TEST_KGMAC) + " " + args;
  const std::string cmd =
      input.empty() ? run + " </dev/null 2>" + errf : input + " " + run + " 2>" + errf;
  CliResult r{-1, "", ""};
  r.code = run_capture(cmd, &r.out);
  const std::vector<uint8_t> e = read_bytes(errf);
  r.err.assign(e.begin(), e.end());
  std::remove(errf.c_str());
  return r;
}

inline void write_bytes(const std::string &path, const std::vector<uint8_t> &b) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  if (!b.empty()) std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
}

inline std::vector<uint8_t> read_bytes(const std::string &path) {
  std::vector<uint8_t> b;
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) return b;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.insert(b.end(), buf, buf + n);
  std::fclose(f);
  return b;
}

// Deterministic test PRNG (xorshift64*).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed ? seed : 1) {}
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  int range(int lo, int hi) { return lo + (int)(next() % (uint64_t)(hi - lo + 1)); }
};

// The Fashion-MNIST split "train" or "t10k", loaded once per test binary.
inline const kgml_dataset &dataset(const std::string &split) {
  static kgml_dataset sets[2];
  static bool loaded[2] = {false, false};
  const int i = split == "train" ? 0 : 1;
  if (!loaded[i]) {
    char d[KGML_DETAIL_LEN] = "";
    EXPECT_EQ(kgml_dataset_load(KG_TEST_DATA_DIR, split.c_str(), &sets[i], d), KGML_OK) << d;
    loaded[i] = true;
  }
  return sets[i];
}

}  // namespace kgtest
