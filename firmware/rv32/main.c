/*
 * main.c: the rv32 firmware image's entry. A host (or boot ROM) leaves a
 * mailbox in device memory at KG_MAILBOX: a job of n descriptor addresses
 * and a timeout. The firmware initialises the device, runs the job and
 * writes the status and failing layer back. Keys are provisioned by the
 * host through the same CSRs (kg_fw_provision links here too, for SoCs
 * whose firmware holds the keys).
 *
 * State: the kg_fw context and the mailbox copy live on the stack; the image
 * has no mutable globals.
 */
#include "kg_fw.h"
#include "kg_hal_mmio.h"

#define KG_MAILBOX 0x100u     /* device address of the mailbox */
#define KG_MAILBOX_MAX 64u    /* layers per job */

typedef struct mailbox {
  uint32_t magic;             /* 'KGJB' when a job is posted */
  uint32_t n;                 /* layers */
  uint32_t timeout;           /* cycles per layer */
  int32_t status;             /* out: KG_FW_* */
  uint32_t failed_layer;      /* out */
  uint32_t desc[KG_MAILBOX_MAX];
} mailbox;

int main(void) {
  kg_hal hal;
  kg_hal_mmio_bind(&hal);
  kg_fw fw;
  int rc = kg_fw_init(&fw, &hal);
  mailbox mb;
  if (hal.mem_read(hal.ctx, KG_MAILBOX, &mb, sizeof mb) != 0) return 1;
  uint32_t failed = 0;
  if (rc == KG_FW_OK) {
    if (mb.magic != 0x4b474a42u || mb.n > KG_MAILBOX_MAX)
      rc = KG_FW_EINVAL;
    else
      rc = kg_fw_run_job(&fw, mb.desc, mb.n, mb.timeout, &failed, (kg_fw_perf *)0);
  }
  mb.status = rc;
  mb.failed_layer = failed;
  (void)hal.mem_write(hal.ctx, KG_MAILBOX, &mb, 5u * sizeof(uint32_t));
  return rc == KG_FW_OK ? 0 : 1;
}
