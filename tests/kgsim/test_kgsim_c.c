/* test_kgsim_c.c: libkgsim used from C11 (API, errors, HAL binding). */
#include <stdio.h>
#include <string.h>

#include "kgsim.h"
#include "kgsim_hal.h"

static int failures;
#define CHECK(c)                                                  \
  do {                                                            \
    if (!(c)) {                                                   \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
      failures++;                                                 \
    }                                                             \
  } while (0)

int main(void) {
  char err[128];
  kgsim_config cfg = kgsim_config_default();
  cfg.dram.bytes_per_cycle = 0.0;
  CHECK(kgsim_create(&cfg, err, sizeof err) == NULL);
  CHECK(strstr(err, "bytes_per_cycle") != NULL);
  CHECK(strstr(kgsim_last_error(NULL), "bytes_per_cycle") != NULL);

  cfg = kgsim_config_default();
  cfg.dram.size = 1u << 20;
  kgsim *s = kgsim_create(&cfg, err, sizeof err);
  CHECK(s != NULL);
  if (!s) return 1;
  uint32_t v = 0;
  CHECK(kgsim_reg_read32(s, 0x000, &v) == KGSIM_OK && v == 0x4B475845u);
  CHECK(kgsim_reg_write32(s, 0x030, 0xA5A55A5Au) == KGSIM_OK);
  CHECK(kgsim_reg_read32(s, 0x030, &v) == KGSIM_OK && v == 0xA5A55A5Au);
  CHECK(kgsim_reg_read32(s, 0x800, &v) == KGSIM_ESLVERR);
  CHECK(strstr(kgsim_last_error(s), "SLVERR") != NULL);

  kg_hal hal;
  memset(&hal, 0, sizeof hal);
  kgsim_hal_bind(s, &hal);
  CHECK(hal.ctx == s);
  CHECK(hal.reg_read32(hal.ctx, 0x004) == ((4u << 16) | 4u));
  hal.reg_write32(hal.ctx, 0x030, 7u);
  CHECK(hal.reg_read32(hal.ctx, 0x030) == 7u);
  unsigned long e0 = kgsim_hal_errors();
  CHECK(hal.reg_read32(hal.ctx, 0xFF0) == 0xFFFFFFFFu);
  CHECK(kgsim_hal_errors() == e0 + 1);
  const uint8_t src[5] = {1, 2, 3, 4, 5};
  uint8_t dst[5] = {0};
  CHECK(hal.mem_write(hal.ctx, 0x100, src, sizeof src) == 0);
  CHECK(hal.mem_read(hal.ctx, 0x100, dst, sizeof dst) == 0 && memcmp(src, dst, 5) == 0);
  CHECK(hal.mem_read(hal.ctx, cfg.dram.size - 2, dst, 4) == -1);
  CHECK(hal.wait_irq(hal.ctx, 20) == -1); /* IRQ_EN is 0 */
  hal.reg_write32(hal.ctx, 0x010, 1u);
  hal.reg_write32(hal.ctx, 0x008, 1u); /* zero bursts: done at once */
  CHECK(hal.wait_irq(hal.ctx, 20) == 0);
  kgsim_destroy(s);
  kgsim_destroy(NULL);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  else printf("kgsim C API: ok\n");
  return failures != 0;
}
