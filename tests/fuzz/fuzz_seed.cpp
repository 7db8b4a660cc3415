// Writes the seed corpus of kg_fuzz_kgm into the directory given: the
// standard 3-layer test model locked each way (version 2: CTR, Deep-Lock,
// sign only; unlocked; version 1 CTR), and a key file.
#include <cstdio>
#include <string>

#include "test_kgm_util.h"

using namespace kgmtest;

static bool put(const std::string &path, const std::vector<uint8_t> &b) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(b.data(), 1, b.size(), f) == b.size();
  return std::fclose(f) == 0 && ok && !b.empty();
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  bool ok = put(dir + "/model_ctr.kgm", standard_file(KGM_CRYPT_CTR)) &&
            put(dir + "/model_deeplock.kgm", standard_file(KGM_CRYPT_DEEPLOCK)) &&
            put(dir + "/model_none.kgm", standard_file(KGM_CRYPT_NONE)) &&
            put(dir + "/model_plain.kgm", standard_file(KGM_CRYPT_NONE, 0)) &&
            put(dir + "/model_v1_ctr.kgm", standard_file(KGM_CRYPT_CTR, 1, 1));
  const kg_keys k = make_keys(4, 4, 16, 9);
  const std::string kp = dir + "/key_4x4.kgk";
  std::remove(kp.c_str());
  char d[KG_DETAIL_LEN];
  ok = ok && kg_keyfile_write(kp.c_str(), &k, 4, 4, 1, d) == KG_OK;
  if (!ok) {
    std::fprintf(stderr, "kg_fuzz_seed: cannot write the corpus in %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
