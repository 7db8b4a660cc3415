/* kg_perf.c: per-layer and total performance of a model's runs. */
#include <string.h>

#include "kg_driver_internal.h"

static void fill(kg_layer_perf *p, const kg_fw_perf *f, uint64_t ideal) {
  p->cycles = f->cycles;
  p->ideal = ideal;
  p->busy = f->busy;
  p->compute = f->compute;
  p->rd_bytes = f->rd_bytes;
  p->wr_bytes = f->wr_bytes;
  p->dma_stall = f->dma_stall;
  p->dec_stall = f->dec_stall;
  p->util = p->cycles ? (double)p->ideal / (double)p->cycles : 0.0;
}

int kg_perf(const kg_model *md, kg_perf_info *perf) {
  if (!md || !perf) return KG_E_INVAL;
  memset(perf, 0, sizeof *perf);
  perf->n_layers = md->m.n_layers;
  perf->inferences = md->inferences;
  perf->sim_cycles = md->sim_cycles;
  perf->host_seconds = md->host_seconds;
  /* The geometry is the model's, which load checked equals the device's. */
  const uint64_t pes = (uint64_t)md->m.rows * md->m.cols;
  kg_fw_perf sum;
  memset(&sum, 0, sizeof sum);
  uint64_t ideal_sum = 0;
  for (uint32_t l = 0; l < md->m.n_layers && l < KG_PERF_MAX_LAYERS; l++) {
    const kg_lperf *lp = &md->lperf[l];
    const uint64_t ideal = pes ? lp->macs / pes : 0;
    fill(&perf->layer[l], &lp->fw, ideal);
    sum.cycles += lp->fw.cycles;
    sum.busy += lp->fw.busy;
    sum.compute += lp->fw.compute;
    sum.rd_bytes += lp->fw.rd_bytes;
    sum.wr_bytes += lp->fw.wr_bytes;
    sum.dma_stall += lp->fw.dma_stall;
    sum.dec_stall += lp->fw.dec_stall;
    ideal_sum += ideal;
  }
  fill(&perf->total, &sum, ideal_sum);
  return KG_OK;
}

void kg_perf_reset(kg_model *md) {
  if (!md) return;
  if (md->lperf) memset(md->lperf, 0, (size_t)md->m.n_layers * sizeof *md->lperf);
  md->inferences = 0;
  md->sim_cycles = 0;
  md->host_seconds = 0.0;
}
