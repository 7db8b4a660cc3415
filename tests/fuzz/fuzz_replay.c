/* Runs the fuzz target over the files named on the command line, without
 * libFuzzer: the seed corpus is replayed by every build (gcc or clang), and
 * any crashing input libFuzzer finds can be replayed the same way. Prints
 * "N passed, 0 failed" (an input that violates an invariant aborts). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cannot open %s\n", argv[i]);
      return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
      if (len == cap) {
        cap = cap ? cap * 2 : 4096;
        uint8_t *nb = realloc(buf, cap);
        if (!nb) return 1;
        buf = nb;
      }
      const size_t got = fread(buf + len, 1, cap - len, f);
      if (got == 0) break;
      len += got;
    }
    fclose(f);
    /* Every prefix too: the truncations of the seed are inputs of their own. */
    for (size_t k = 0; k <= len; k++) {
      uint8_t *p = malloc(k ? k : 1);
      if (!p) return 1;
      for (size_t j = 0; j < k; j++) p[j] = buf[j];
      LLVMFuzzerTestOneInput(p, k);
      free(p);
    }
    free(buf);
    n++;
  }
  printf("%d passed, 0 failed\n", n);
  return n > 0 ? 0 : 1;
}
