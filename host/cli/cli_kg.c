/* kgmac CLI: libkgmac helpers (key files, back-ends, model loading). */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "cli_kg.h"
#include "kgmac/keyfile.h"
#include "kgml/kgq.h"

int kg_cli_read_keys(const char *cmd, const char *path, kg_keys *keys, uint32_t *rows,
                     uint32_t *cols) {
  char detail[KG_DETAIL_LEN] = "";
  const int rc = kg_keyfile_read(path, keys, rows, cols, detail);
  if (rc == KG_OK) return KG_EXIT_OK;
  if (rc == KG_E_KEYPERM)
    kg_err(cmd, "key file %s: %s (%s); it must be 0600: chmod 600 %s", path, kg_strerror(rc),
           detail, path);
  else
    kg_err(cmd, "key file %s: %s (%s)", path, kg_strerror(rc), detail);
  return KG_EXIT_FAIL;
}

int kg_cli_parse_backend(const char *cmd, const char *s) {
  if (strcmp(s, "rtl") == 0 || strcmp(s, "model") == 0) return KG_EXIT_OK;
  kg_err(cmd, "--backend must be rtl or model, not '%s'", s);
  return KG_EXIT_USAGE;
}

static const char *const policy_names[] = {"refuse", "run", "lockout"};

int kg_cli_parse_policy(const char *cmd, const char *s, uint32_t *policy) {
  for (uint32_t i = 0; i < 3; i++)
    if (strcmp(s, policy_names[i]) == 0) {
      *policy = i; /* = KG_KEY_POLICY_REFUSE / _RUN / _LOCKOUT */
      return KG_EXIT_OK;
    }
  kg_err(cmd, "--policy must be refuse, run or lockout, not '%s'", s);
  return KG_EXIT_USAGE;
}

const char *kg_cli_policy_name(uint32_t policy) {
  return policy < 3 ? policy_names[policy] : "?";
}

int kg_cli_open(const char *cmd, const char *backend, uint32_t rows, uint32_t cols,
                uint32_t max_batch, const kg_keys *keys, kg_dev **dev) {
  kg_open_opts o;
  memset(&o, 0, sizeof o);
  if (strcmp(backend, "model") == 0) {
    o.rows = rows;
    o.cols = cols;
  }
  o.max_batch = max_batch;
  char err[KG_DETAIL_LEN] = "";
  int rc = kg_open(dev, backend, &o, err);
  if (rc != KG_OK) {
    kg_err(cmd, "cannot open the %s back-end: %s (%s)", backend, kg_strerror(rc), err);
    return KG_EXIT_FAIL;
  }
  kg_dev_info info;
  rc = kg_dev_query(*dev, &info);
  if (rc != KG_OK) {
    kg_err(cmd, "cannot query the %s back-end: %s (%s)", backend, kg_strerror(rc),
           kg_last_error(*dev));
    goto fail;
  }
  if (info.rows != rows || info.cols != cols) {
    kg_err(cmd, "the %s back-end is a %ux%u array but the model is locked for %ux%u%s", backend,
           info.rows, info.cols, rows, cols,
           strcmp(backend, "rtl") == 0 ? " (use --backend model, or an rtl build of that size)"
                                       : "");
    goto fail;
  }
  if (keys) {
    rc = kg_keys_provision(*dev, keys, 0);
    if (rc != KG_OK) {
      kg_err(cmd, "cannot provision the keys: %s (%s)", kg_strerror(rc), kg_last_error(*dev));
      goto fail;
    }
  }
  return KG_EXIT_OK;
fail:
  kg_close(*dev);
  *dev = NULL;
  return KG_EXIT_FAIL;
}

int kg_cli_is_refusal(int status) {
  return status == KG_E_WRONG_KEY || status == KG_E_LOCKED_OUT || status == KG_E_AUTH ||
         status == KG_E_UNAUTH;
}

int kg_cli_model_load(const char *cmd, kg_dev *dev, const char *path, kg_model **model,
                      int quiet) {
  const int rc = kg_model_load(dev, path, model);
  if (rc == KG_OK || quiet) return rc;
  const char *detail = kg_last_error(dev);
  if (kg_cli_is_refusal(rc))
    kg_err(cmd, "refused: %s (status %d)%s%s", kg_strerror(rc), rc,
           detail && *detail ? ": " : "", detail && *detail ? detail : "");
  else
    kg_err(cmd, "cannot load %s: %s (%s)", path, kg_strerror(rc), detail ? detail : "");
  return rc;
}

void kg_cli_quantize_pixels(float in_scale, int32_t in_zero, const uint8_t *pix, size_t n,
                            int8_t *out) {
  kg_qmodel q;
  memset(&q, 0, sizeof q);
  q.in_scale = in_scale;
  kg_qmodel_quantize_input(&q, pix, n, out);
  if (in_zero != 0)
    for (size_t i = 0; i < n; i++) {
      const int32_t v = out[i] + in_zero;
      out[i] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
    }
}
