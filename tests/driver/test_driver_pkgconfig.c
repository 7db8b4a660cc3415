/* Built by the ctest driver_install_pkgconfig against an installed libkgmac
 * with only `pkg-config --cflags --libs kgmac`: opens the "model" and the
 * "rtl" (Verilated) back-ends, queries them, and checks that errors come
 * back as codes with messages. */
#include <stdio.h>
#include <string.h>

#include <kgmac/kgmac.h>

static int try_backend(const char *be) {
  char err[KG_DETAIL_LEN];
  kg_dev *d = NULL;
  int rc = kg_open(&d, be, NULL, err);
  if (rc != KG_OK) {
    fprintf(stderr, "kg_open: %s: %s\n", kg_strerror(rc), err);
    return 1;
  }
  kg_dev_info i;
  rc = kg_dev_query(d, &i);
  if (rc != KG_OK || strcmp(i.backend, be) != 0 || i.rows == 0 || i.cols == 0) {
    fprintf(stderr, "kg_dev_query: %s\n", kg_strerror(rc));
    kg_close(d);
    return 1;
  }
  printf("kgmac %s back-end: %ux%u array, version 0x%08x\n", i.backend, i.rows, i.cols, i.version);
  kg_close(d);
  return 0;
}

int main(void) {
  char err[KG_DETAIL_LEN];
  kg_dev *d = NULL;
  if (kg_open(&d, "nonesuch", NULL, err) != KG_E_INVAL || d != NULL || err[0] == '\0') {
    fprintf(stderr, "unknown back-end accepted\n");
    return 1;
  }
  printf("kg_open(\"nonesuch\"): %s: %s\n", kg_strerror(KG_E_INVAL), err);
  return try_backend("model") || try_backend("rtl");
}
